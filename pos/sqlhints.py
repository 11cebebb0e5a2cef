"""Hints a statement carries to the database driver, as an SQL comment (pos/pgcursor.py reads them).

``PLAN_EACH_TIME``: psycopg prepares a statement on the server after its fifth run on a connection
(parsed and planned once; PostgreSQL may then keep one plan for every value). A statement whose best
plan depends on its values carries this comment and is planned afresh each time: the catalog search,
whose words decide whether the bigram index or the walk in id order is quicker (one plan kept for
any words took 11 ms a search instead of 2 on 50,000 products).
"""

PLAN_EACH_TIME = "/* plan each time */"
