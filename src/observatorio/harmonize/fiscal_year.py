"""The US federal fiscal year's start, apart from the conversions in ``fiscal`` (pandas): the
store's ``aggregate=FY`` needs only this constant, and a server worker never imports pandas
(issue #12)."""

#: FY2024 runs from 1 October 2023 to 30 September 2024: fiscal month 1 is October.
US_FEDERAL_START_MONTH = 10
