"""Returnee reception (issue #15 item 1): arrivals, the manifest the returning country sends,
and per-person intake at the reception centre with vulnerability screening.

One job per module: ``models`` (tables), ``manifest`` (reading and checking a manifest file),
``geography`` (departments from ISO 3166-2, municipalities from a loaded code list),
``screening`` (vulnerabilities → required referrals, as data in ``screening.yaml``),
``arrivals`` and ``intake`` (use-cases: policy, work, audit), ``api``, ``web``, ``cli``."""
