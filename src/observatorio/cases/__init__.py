"""cases package: the restricted cases side, and the one identity (accounts, organisations,
roles, audit) the whole application shares."""

# Every table of the one database belongs to Base.metadata wherever the models are used
# (migrations, schema checks): the statistics side's submission tables too.
from observatorio.cases import submission_models as _submission_models  # noqa: F401
