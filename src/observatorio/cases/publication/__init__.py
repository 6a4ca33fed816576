"""Disclosure-controlled publication of case counts into the statistics store (issue #15).

``specs`` declares the tables as data, ``records`` reads one row per countable case (no personal
data leaves it), ``tables`` cross-tabulates, ``suppression`` hides small cells and their
complements (jointly across tables that add up to each other's margins), ``attack`` bounds
suppressed cells by linear programming, ``differences`` keeps a
table from being differenced with one counting nearly the same people, ``writer`` turns the
tables into contract rows and loads them as one release."""
