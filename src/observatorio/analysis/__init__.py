"""Analysis of the harmonized store: indicators, country roles, the CRM action matrix, mirror
reconciliation (and, in ``forecast/``, forecasts and early warning).

The method lives in data files beside the code — ``indicators.yaml``, ``roles.yaml``,
``actions.yaml``, ``mirror.yaml`` — and docs/methodology.md is generated from them in part.
"""
