"""Word to a person: what is told when a client needs one (a failed task, a period whose checks found errors,
a connection to reconnect, a refresh token about to expire), how it reads in a mail and a webhook's JSON, and
the daily notices already told. Airflow's notifier sends it (airflow_support); this room knows no Airflow."""
