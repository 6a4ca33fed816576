"""Reintegration follow-up of returnees (issue 15, item 2): a plan per returnee who wants one,
scored follow-ups at the milestones the questionnaire declares, services by provider
organisations, and the indicators the publication counts."""
