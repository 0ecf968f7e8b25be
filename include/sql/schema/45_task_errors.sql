-- Per client and DAG, the last task that failed, in the operator's words: what the clients page shows as the
-- client's last error, with a link to that task's log. A later failure of the same DAG replaces it.
CREATE TABLE IF NOT EXISTS task_errors (
    client_key          VARCHAR(40) NOT NULL,
    dag_id              VARCHAR(250) NOT NULL,
    run_id              VARCHAR(250) NOT NULL,
    task_id             VARCHAR(250) NOT NULL,
    map_index           INTEGER NOT NULL,
    try_number          INTEGER NOT NULL,
    message             TEXT NOT NULL,
    failed_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, dag_id)
);
