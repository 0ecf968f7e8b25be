"""The staging database: connections, schema, and the SQL files in include/sql/."""
