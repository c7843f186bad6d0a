"""Small manifests shared by several test modules."""

SMALL = """
kind: API
name: notificaties
versions: [1.0.0, 2.0.0]
---
kind: API
name: autorisaties
versions: [1.0.0]
---
kind: API
name: zaken
versions: [1.5.1]
---
kind: Component
name: open-zaak
title: Open Zaak
releases:
  - version: 1.26.0
    provides: {zaken: 1.5.1, autorisaties: 1.0.0}
    consumes: {notificaties: ">=1.0,<2"}
    requires: {postgresql: ">=13"}
  - version: 1.30.0
    provides: {zaken: 1.5.1, autorisaties: 1.0.0}
    consumes: {notificaties: ">=1.0,<3"}
    requires: {postgresql: ">=14"}
---
kind: Component
name: open-notificaties
releases:
  - version: 1.8.0
    provides: {notificaties: 1.0.0}
    consumes: {autorisaties: ">=1.0"}
  - version: 1.10.0
    provides: {notificaties: 2.0.0}
    consumes: {autorisaties: ">=1.0"}
---
kind: Component
name: postgresql
releases: [{version: "13"}, {version: "14"}, {version: "15"}]
"""
