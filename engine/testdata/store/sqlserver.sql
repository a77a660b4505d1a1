-- select history, layout 1, all tenants
SELECT [installed_rank], [version], [description], [type], [script], [checksum], [installed_by], [installed_on], [execution_time], [success], [tenant], [version_key], [error], [failed_statement], [progress] FROM [app].[strata_schema_history] ORDER BY [installed_rank];

-- select history, one tenant
SELECT [installed_rank], [version], [description], [type], [script], [checksum], [installed_by], [installed_on], [execution_time], [success], [tenant], [version_key], [error], [failed_statement], [progress], [statement_checksums], [mark] FROM [app].[strata_schema_history] WHERE [tenant] = N'acme' ORDER BY [installed_rank];

-- select history, several tenants
SELECT [installed_rank], [version], [description], [type], [script], [checksum], [installed_by], [installed_on], [execution_time], [success], [tenant], [version_key], [error], [failed_statement], [progress], [statement_checksums], [mark] FROM [app].[strata_schema_history] WHERE [tenant] IN (N'acme', N'o''brien') ORDER BY [installed_rank];

-- insert history
INSERT INTO [app].[strata_schema_history] ([version], [description], [type], [script], [checksum], [installed_by], [execution_time], [success], [tenant], [version_key], [error], [failed_statement], [progress]) VALUES (N'1.2', N'add o''clock', N'SQL', N'V1_2__add_o''clock.sql', -1234567, N'ci', /*strata:elapsed:-6795364578871345152*/0, 1, N'acme', N'00000000000000000001.00000000000000000002', NULL, NULL, 0);

-- insert history, returning its execution time
INSERT INTO [app].[strata_schema_history] ([version], [description], [type], [script], [checksum], [installed_by], [execution_time], [success], [tenant], [version_key], [error], [failed_statement], [progress]) VALUES (N'1.2', N'add o''clock', N'SQL', N'V1_2__add_o''clock.sql', -1234567, N'ci', /*strata:elapsed:-6795364578871345152*/0, 1, N'acme', N'00000000000000000001.00000000000000000002', NULL, NULL, 0) RETURNING [execution_time] AS [strata_execution_time];

-- insert history, failed partial run
INSERT INTO [app].[strata_schema_history] ([version], [description], [type], [script], [checksum], [installed_by], [execution_time], [success], [tenant], [version_key], [error], [failed_statement], [progress]) VALUES (N'1.2', N'add o''clock', N'SQL', N'V1_2__add_o''clock.sql', NULL, N'ci', 0, 0, N'acme', N'00000000000000000001.00000000000000000002', N'boom', 3, 2);

-- insert history, marked applied without running
INSERT INTO [app].[strata_schema_history] ([version], [description], [type], [script], [checksum], [installed_by], [execution_time], [success], [tenant], [version_key], [error], [failed_statement], [progress], [mark]) VALUES (N'1.2', N'add o''clock', N'SQL', N'V1_2__add_o''clock.sql', -1234567, N'ci', 0, 1, N'acme', N'00000000000000000001.00000000000000000002', NULL, NULL, 0, N'skip');

-- insert history, undo row of undo --discard
INSERT INTO [app].[strata_schema_history] ([version], [description], [type], [script], [checksum], [installed_by], [execution_time], [success], [tenant], [version_key], [error], [failed_statement], [progress], [mark]) VALUES (N'1.2', N'add o''clock', N'UNDO_SQL', N'V1_2__add_o''clock.sql', -1234567, N'ci', 0, 1, N'acme', N'00000000000000000001.00000000000000000002', NULL, NULL, 0, N'discard');

-- insert adopted, installed_on text
INSERT INTO [app].[strata_schema_history] ([version], [description], [type], [script], [checksum], [installed_by], [installed_on], [execution_time], [success], [tenant], [version_key], [error], [failed_statement], [progress]) VALUES (N'1.2', N'add o''clock', N'SQL', N'V1_2__add_o''clock.sql', NULL, N'ci', N'2024-01-02 03:04:05', 42, 0, N'acme', N'00000000000000000001.00000000000000000002', N'boom', 3, 2);

-- insert adopted, installed_on time
INSERT INTO [app].[strata_schema_history] ([version], [description], [type], [script], [checksum], [installed_by], [installed_on], [execution_time], [success], [tenant], [version_key], [error], [failed_statement], [progress]) VALUES (N'1.2', N'add o''clock', N'SQL', N'V1_2__add_o''clock.sql', -1234567, N'ci', N'2024-01-02 03:04:05.6', 0, 1, N'acme', N'00000000000000000001.00000000000000000002', NULL, NULL, 0);

-- insert adopted, installed_on NULL
INSERT INTO [app].[strata_schema_history] ([version], [description], [type], [script], [checksum], [installed_by], [installed_on], [execution_time], [success], [tenant], [version_key], [error], [failed_statement], [progress]) VALUES (N'1.2', N'add o''clock', N'SQL', N'V1_2__add_o''clock.sql', -1234567, N'ci', CURRENT_TIMESTAMP, 0, 1, N'acme', N'00000000000000000001.00000000000000000002', NULL, NULL, 0);

-- select last rank
SELECT MAX([installed_rank]) FROM [app].[strata_schema_history] WHERE [tenant] = N'acme';

-- update progress
UPDATE [app].[strata_schema_history] SET [progress] = 2, [error] = NULL, [failed_statement] = NULL, [statement_checksums] = N'1a2b,3c4d' WHERE [installed_rank] = 7;

-- update progress, failure
UPDATE [app].[strata_schema_history] SET [error] = N'syntax error at ''x''', [failed_statement] = 2, [statement_checksums] = NULL WHERE [installed_rank] = 7;

-- mark succeeded
UPDATE [app].[strata_schema_history] SET [success] = 1, [progress] = 5, [error] = NULL, [failed_statement] = NULL, [checksum] = -1234567, [statement_checksums] = NULL, [execution_time] = 1500 WHERE [installed_rank] = 7;

-- delete history row
DELETE FROM [app].[strata_schema_history] WHERE [installed_rank] = 7;

-- align history row
UPDATE [app].[strata_schema_history] SET [description] = N'renamed', [type] = N'SQL', [checksum] = -1234567 WHERE [installed_rank] = 7;

-- select schema markers
SELECT [installed_rank], [tenant], [script], [success] FROM [app].[strata_schema_history] WHERE [type] = N'SCHEMA' ORDER BY [installed_rank];

-- set marker script
UPDATE [app].[strata_schema_history] SET [script] = N'"a","b"' WHERE [installed_rank] = 3;

-- select adopted tenants
SELECT DISTINCT [tenant] FROM [app].[strata_schema_history] WHERE [type] <> N'SCHEMA';

-- count adopted
SELECT COUNT(*) FROM [app].[strata_schema_history] WHERE [tenant] = N'acme' AND [type] <> N'SCHEMA';

-- forget targets
DELETE FROM [app].[strata_schema_history] WHERE [tenant] IN (N'acme', N'beta');

-- forget targets
DELETE FROM [app].[strata_schema_history_state] WHERE [tenant] IN (N'acme', N'beta');

-- insert state row
INSERT INTO [app].[strata_schema_history_state] ([tenant], [generation], [applied], [failed]) SELECT N'acme', 0, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM [app].[strata_schema_history_state] WHERE [tenant] = N'acme');

-- select states
SELECT [tenant], [fingerprint], [failed], [version], [error] FROM [app].[strata_schema_history_state];

-- select generation
SELECT [generation] FROM [app].[strata_schema_history_state] WHERE [tenant] = N'acme';

-- generation is (guard condition)
SELECT 1 WHERE (SELECT [generation] FROM [app].[strata_schema_history_state] WHERE [tenant] = N'acme') = 41;

-- update state, migration applied
UPDATE [app].[strata_schema_history_state] SET [fingerprint] = N'00000000feedface', [applied] = [applied] + 1, [failed] = 0, [error] = NULL, [generation] = [generation] + 1, [updated_on] = CURRENT_TIMESTAMP WHERE [tenant] = N'acme';

-- update state, migration applied with a higher version
UPDATE [app].[strata_schema_history_state] SET [version] = N'1.2', [version_key] = N'00000000000000000001.00000000000000000002', [fingerprint] = N'00000000feedface', [applied] = [applied] + 1, [failed] = 0, [error] = NULL, [generation] = [generation] + 1, [updated_on] = CURRENT_TIMESTAMP WHERE [tenant] = N'acme';

-- update state, failed
UPDATE [app].[strata_schema_history_state] SET [failed] = 1, [error] = N'rolled back: boom', [updated_on] = CURRENT_TIMESTAMP WHERE [tenant] = N'acme';

-- update state, baseline on migrate
UPDATE [app].[strata_schema_history_state] SET [version] = N'1', [version_key] = N'00000000000000000001', [fingerprint] = N'0000000000000000', [generation] = [generation] + 1, [updated_on] = CURRENT_TIMESTAMP WHERE [tenant] = N'acme';

-- update state, refreshed from an empty history
UPDATE [app].[strata_schema_history_state] SET [version] = NULL, [version_key] = NULL, [fingerprint] = N'0000000000000000', [failed] = 0, [error] = NULL, [generation] = [generation] + 1, [updated_on] = CURRENT_TIMESTAMP WHERE [tenant] = N'acme';

-- update state, adopted
UPDATE [app].[strata_schema_history_state] SET [version] = N'1.2', [version_key] = N'00000000000000000001.00000000000000000002', [fingerprint] = N'00000000feedface', [applied] = 12, [failed] = 1, [error] = NULL, [generation] = [generation] + 1, [updated_on] = CURRENT_TIMESTAMP WHERE [tenant] = N'acme';

-- insert layout
INSERT INTO [app].[strata_schema_history_meta] ([name], [value]) SELECT N'layout', N'3' WHERE NOT EXISTS (SELECT 1 FROM [app].[strata_schema_history_meta] WHERE [name] = N'layout');

-- select layout
SELECT [value] FROM [app].[strata_schema_history_meta] WHERE [name] = N'layout';

-- update layout
UPDATE [app].[strata_schema_history_meta] SET [value] = N'3' WHERE [name] = N'layout' AND [value] = N'1';
