USE `tenant_1`;
SET SESSION lock_wait_timeout = 2, innodb_lock_wait_timeout = 2, max_execution_time = 120000;
USE `app`;
SET SESSION lock_wait_timeout = DEFAULT, innodb_lock_wait_timeout = DEFAULT, max_execution_time = DEFAULT;
SET SESSION lock_wait_timeout = DEFAULT, innodb_lock_wait_timeout = DEFAULT, max_execution_time = DEFAULT;
