"""The staging database: connections, schema, the SQL files in include/sql/, and the books lease (one writer
of a client-year's books at a time)."""
