//! wetech-persistence: Diesel schema, repositories, unit of work, pool and migrations.
