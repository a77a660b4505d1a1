SET @strata_ddl = IF(EXISTS(SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'app' AND TABLE_NAME = 'strata_schema_history' AND COLUMN_NAME = 'statement_checksums'), 'DO 0', 'ALTER TABLE `app`.`strata_schema_history` ADD COLUMN `statement_checksums` MEDIUMTEXT');
PREPARE strata_ddl FROM @strata_ddl;
EXECUTE strata_ddl;
DEALLOCATE PREPARE strata_ddl;
SET @strata_ddl = IF(EXISTS(SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'app' AND TABLE_NAME = 'strata_schema_history' AND COLUMN_NAME = 'mark'), 'DO 0', 'ALTER TABLE `app`.`strata_schema_history` ADD COLUMN `mark` VARCHAR(20)');
PREPARE strata_ddl FROM @strata_ddl;
EXECUTE strata_ddl;
DEALLOCATE PREPARE strata_ddl;
