from alembic import context

import lms.models  # noqa: F401  (registers every table on Base.metadata)
from lms.db import Base
from lms.migrate import VERSION_TABLE

connection = context.config.attributes["connection"]


def include_object(obj, name, type_, reflected, compare_to):
    # Share a database with a host app: look only at the LMS's own tables.
    if type_ == "table":
        return name.startswith("lms_")
    return True


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
