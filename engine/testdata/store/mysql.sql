-- select history, layout 1, all tenants
SELECT `installed_rank`, `version`, `description`, `type`, `script`, `checksum`, `installed_by`, `installed_on`, `execution_time`, `success`, `tenant`, `version_key`, `error`, `failed_statement`, `progress` FROM `app`.`strata_schema_history` ORDER BY `installed_rank`;

-- select history, one tenant
SELECT `installed_rank`, `version`, `description`, `type`, `script`, `checksum`, `installed_by`, `installed_on`, `execution_time`, `success`, `tenant`, `version_key`, `error`, `failed_statement`, `progress`, `statement_checksums`, `mark` FROM `app`.`strata_schema_history` WHERE `tenant` = 'acme' ORDER BY `installed_rank`;

-- select history, several tenants
SELECT `installed_rank`, `version`, `description`, `type`, `script`, `checksum`, `installed_by`, `installed_on`, `execution_time`, `success`, `tenant`, `version_key`, `error`, `failed_statement`, `progress`, `statement_checksums`, `mark` FROM `app`.`strata_schema_history` WHERE `tenant` IN ('acme', 'o''brien') ORDER BY `installed_rank`;

-- insert history
INSERT INTO `app`.`strata_schema_history` (`version`, `description`, `type`, `script`, `checksum`, `installed_by`, `execution_time`, `success`, `tenant`, `version_key`, `error`, `failed_statement`, `progress`) VALUES ('1.2', 'add o''clock', 'SQL', 'V1_2__add_o''clock.sql', -1234567, 'ci', /*strata:elapsed:-6795364578871345152*/0, 1, 'acme', '00000000000000000001.00000000000000000002', NULL, NULL, 0);

-- insert history, returning its execution time
INSERT INTO `app`.`strata_schema_history` (`version`, `description`, `type`, `script`, `checksum`, `installed_by`, `execution_time`, `success`, `tenant`, `version_key`, `error`, `failed_statement`, `progress`) VALUES ('1.2', 'add o''clock', 'SQL', 'V1_2__add_o''clock.sql', -1234567, 'ci', /*strata:elapsed:-6795364578871345152*/0, 1, 'acme', '00000000000000000001.00000000000000000002', NULL, NULL, 0) RETURNING `execution_time` AS `strata_execution_time`;

-- insert history, failed partial run
INSERT INTO `app`.`strata_schema_history` (`version`, `description`, `type`, `script`, `checksum`, `installed_by`, `execution_time`, `success`, `tenant`, `version_key`, `error`, `failed_statement`, `progress`) VALUES ('1.2', 'add o''clock', 'SQL', 'V1_2__add_o''clock.sql', NULL, 'ci', 0, 0, 'acme', '00000000000000000001.00000000000000000002', 'boom', 3, 2);

-- insert history, marked applied without running
INSERT INTO `app`.`strata_schema_history` (`version`, `description`, `type`, `script`, `checksum`, `installed_by`, `execution_time`, `success`, `tenant`, `version_key`, `error`, `failed_statement`, `progress`, `mark`) VALUES ('1.2', 'add o''clock', 'SQL', 'V1_2__add_o''clock.sql', -1234567, 'ci', 0, 1, 'acme', '00000000000000000001.00000000000000000002', NULL, NULL, 0, 'skip');

-- insert history, undo row of undo --discard
INSERT INTO `app`.`strata_schema_history` (`version`, `description`, `type`, `script`, `checksum`, `installed_by`, `execution_time`, `success`, `tenant`, `version_key`, `error`, `failed_statement`, `progress`, `mark`) VALUES ('1.2', 'add o''clock', 'UNDO_SQL', 'V1_2__add_o''clock.sql', -1234567, 'ci', 0, 1, 'acme', '00000000000000000001.00000000000000000002', NULL, NULL, 0, 'discard');

-- insert adopted, installed_on text
INSERT INTO `app`.`strata_schema_history` (`version`, `description`, `type`, `script`, `checksum`, `installed_by`, `installed_on`, `execution_time`, `success`, `tenant`, `version_key`, `error`, `failed_statement`, `progress`) VALUES ('1.2', 'add o''clock', 'SQL', 'V1_2__add_o''clock.sql', NULL, 'ci', '2024-01-02 03:04:05', 42, 0, 'acme', '00000000000000000001.00000000000000000002', 'boom', 3, 2);

-- insert adopted, installed_on time
INSERT INTO `app`.`strata_schema_history` (`version`, `description`, `type`, `script`, `checksum`, `installed_by`, `installed_on`, `execution_time`, `success`, `tenant`, `version_key`, `error`, `failed_statement`, `progress`) VALUES ('1.2', 'add o''clock', 'SQL', 'V1_2__add_o''clock.sql', -1234567, 'ci', '2024-01-02 03:04:05.6', 0, 1, 'acme', '00000000000000000001.00000000000000000002', NULL, NULL, 0);

-- insert adopted, installed_on NULL
INSERT INTO `app`.`strata_schema_history` (`version`, `description`, `type`, `script`, `checksum`, `installed_by`, `installed_on`, `execution_time`, `success`, `tenant`, `version_key`, `error`, `failed_statement`, `progress`) VALUES ('1.2', 'add o''clock', 'SQL', 'V1_2__add_o''clock.sql', -1234567, 'ci', CURRENT_TIMESTAMP, 0, 1, 'acme', '00000000000000000001.00000000000000000002', NULL, NULL, 0);

-- select last rank
SELECT MAX(`installed_rank`) FROM `app`.`strata_schema_history` WHERE `tenant` = 'acme';

-- update progress
UPDATE `app`.`strata_schema_history` SET `progress` = 2, `error` = NULL, `failed_statement` = NULL, `statement_checksums` = '1a2b,3c4d' WHERE `installed_rank` = 7;

-- update progress, failure
UPDATE `app`.`strata_schema_history` SET `error` = 'syntax error at ''x''', `failed_statement` = 2, `statement_checksums` = NULL WHERE `installed_rank` = 7;

-- mark succeeded
UPDATE `app`.`strata_schema_history` SET `success` = 1, `progress` = 5, `error` = NULL, `failed_statement` = NULL, `checksum` = -1234567, `statement_checksums` = NULL, `execution_time` = 1500 WHERE `installed_rank` = 7;

-- delete history row
DELETE FROM `app`.`strata_schema_history` WHERE `installed_rank` = 7;

-- align history row
UPDATE `app`.`strata_schema_history` SET `description` = 'renamed', `type` = 'SQL', `checksum` = -1234567 WHERE `installed_rank` = 7;

-- select schema markers
SELECT `installed_rank`, `tenant`, `script`, `success` FROM `app`.`strata_schema_history` WHERE `type` = 'SCHEMA' ORDER BY `installed_rank`;

-- set marker script
UPDATE `app`.`strata_schema_history` SET `script` = '"a","b"' WHERE `installed_rank` = 3;

-- select adopted tenants
SELECT DISTINCT `tenant` FROM `app`.`strata_schema_history` WHERE `type` <> 'SCHEMA';

-- count adopted
SELECT COUNT(*) FROM `app`.`strata_schema_history` WHERE `tenant` = 'acme' AND `type` <> 'SCHEMA';

-- forget targets
DELETE FROM `app`.`strata_schema_history` WHERE `tenant` IN ('acme', 'beta');

-- forget targets
DELETE FROM `app`.`strata_schema_history_state` WHERE `tenant` IN ('acme', 'beta');

-- insert state row
INSERT INTO `app`.`strata_schema_history_state` (`tenant`, `generation`, `applied`, `failed`) SELECT 'acme', 0, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM `app`.`strata_schema_history_state` WHERE `tenant` = 'acme');

-- select states
SELECT `tenant`, `fingerprint`, `failed`, `version`, `error` FROM `app`.`strata_schema_history_state`;

-- select generation
SELECT `generation` FROM `app`.`strata_schema_history_state` WHERE `tenant` = 'acme';

-- generation is (guard condition)
SELECT 1 WHERE (SELECT `generation` FROM `app`.`strata_schema_history_state` WHERE `tenant` = 'acme') = 41;

-- update state, migration applied
UPDATE `app`.`strata_schema_history_state` SET `fingerprint` = '00000000feedface', `applied` = `applied` + 1, `failed` = 0, `error` = NULL, `generation` = `generation` + 1, `updated_on` = CURRENT_TIMESTAMP WHERE `tenant` = 'acme';

-- update state, migration applied with a higher version
UPDATE `app`.`strata_schema_history_state` SET `version` = '1.2', `version_key` = '00000000000000000001.00000000000000000002', `fingerprint` = '00000000feedface', `applied` = `applied` + 1, `failed` = 0, `error` = NULL, `generation` = `generation` + 1, `updated_on` = CURRENT_TIMESTAMP WHERE `tenant` = 'acme';

-- update state, failed
UPDATE `app`.`strata_schema_history_state` SET `failed` = 1, `error` = 'rolled back: boom', `updated_on` = CURRENT_TIMESTAMP WHERE `tenant` = 'acme';

-- update state, baseline on migrate
UPDATE `app`.`strata_schema_history_state` SET `version` = '1', `version_key` = '00000000000000000001', `fingerprint` = '0000000000000000', `generation` = `generation` + 1, `updated_on` = CURRENT_TIMESTAMP WHERE `tenant` = 'acme';

-- update state, refreshed from an empty history
UPDATE `app`.`strata_schema_history_state` SET `version` = NULL, `version_key` = NULL, `fingerprint` = '0000000000000000', `failed` = 0, `error` = NULL, `generation` = `generation` + 1, `updated_on` = CURRENT_TIMESTAMP WHERE `tenant` = 'acme';

-- update state, adopted
UPDATE `app`.`strata_schema_history_state` SET `version` = '1.2', `version_key` = '00000000000000000001.00000000000000000002', `fingerprint` = '00000000feedface', `applied` = 12, `failed` = 1, `error` = NULL, `generation` = `generation` + 1, `updated_on` = CURRENT_TIMESTAMP WHERE `tenant` = 'acme';

-- insert layout
INSERT INTO `app`.`strata_schema_history_meta` (`name`, `value`) SELECT 'layout', '3' WHERE NOT EXISTS (SELECT 1 FROM `app`.`strata_schema_history_meta` WHERE `name` = 'layout');

-- select layout
SELECT `value` FROM `app`.`strata_schema_history_meta` WHERE `name` = 'layout';

-- update layout
UPDATE `app`.`strata_schema_history_meta` SET `value` = '3' WHERE `name` = 'layout' AND `value` = '1';
