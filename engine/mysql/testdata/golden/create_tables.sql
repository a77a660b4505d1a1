CREATE TABLE IF NOT EXISTS `app`.`strata_schema_history_meta` (
    `name`  VARCHAR(100) NOT NULL PRIMARY KEY,
    `value` VARCHAR(1000) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `app`.`strata_schema_history` (
    `installed_rank`   INT NOT NULL AUTO_INCREMENT,
    `version`          VARCHAR(50),
    `description`      VARCHAR(200) NOT NULL,
    `type`             VARCHAR(20) NOT NULL,
    `script`           VARCHAR(1000) NOT NULL,
    `checksum`         INT,
    `installed_by`     VARCHAR(100) NOT NULL,
    `installed_on`     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    `execution_time`   INT NOT NULL,
    `success`          BOOL NOT NULL,
    `tenant`           VARCHAR(128) NOT NULL,
    `version_key`      VARCHAR(400),
    `error`            TEXT,
    `failed_statement` INT,
    `progress`         INT NOT NULL DEFAULT 0,
    `statement_checksums` MEDIUMTEXT,
    `mark`             VARCHAR(20),
    CONSTRAINT `strata_schema_history_pk` PRIMARY KEY (`installed_rank`),
    INDEX `strata_schema_history_s_idx` (`success`),
    INDEX `strata_schema_history_tv_idx` (`tenant`, `version_key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `app`.`strata_schema_history_state` (
    `tenant`      VARCHAR(128) NOT NULL PRIMARY KEY,
    `version`     VARCHAR(50),
    `version_key` VARCHAR(400),
    `fingerprint` VARCHAR(16),
    `applied`     INT NOT NULL DEFAULT 0,
    `failed`      BOOL NOT NULL DEFAULT 0,
    `error`       TEXT,
    `generation`  BIGINT NOT NULL DEFAULT 0,
    `updated_on`  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
