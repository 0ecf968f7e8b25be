-- The client's last failed task of one DAG, replacing the one before.
INSERT INTO task_errors (client_key, dag_id, run_id, task_id, map_index, try_number, message, failed_at)
VALUES (:client_key, :dag_id, :run_id, :task_id, :map_index, :try_number, :message, :failed_at)
ON CONFLICT (client_key, dag_id) DO UPDATE SET
    run_id = excluded.run_id, task_id = excluded.task_id, map_index = excluded.map_index,
    try_number = excluded.try_number, message = excluded.message, failed_at = excluded.failed_at;
