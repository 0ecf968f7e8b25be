-- Every client's last failed task per DAG, newest first.
SELECT client_key, dag_id, run_id, task_id, map_index, try_number, message, failed_at
FROM task_errors
ORDER BY client_key, failed_at DESC;
