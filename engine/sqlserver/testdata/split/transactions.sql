-- Batches that cannot run inside Strata's transaction.
USE [master];
GO
IF DB_ID(N'reporting') IS NULL
    CREATE DATABASE [reporting];
GO
ALTER DATABASE [reporting] SET RECOVERY SIMPLE WITH ROLLBACK IMMEDIATE;
GO
GRANT CREATE DATABASE, BACKUP DATABASE TO [deployer];
GO
EXEC master.dbo.sp_addlinkedserver @server = N'remote', @srvproduct = N'';
GO
EXEC sp_configure 'show advanced options', 1;
RECONFIGURE;
GO
BEGIN TRY
    BEGIN TRANSACTION;
    UPDATE dbo.settings SET value = 1 WHERE name = 'x';
    COMMIT;
END TRY
BEGIN CATCH
    IF @@TRANCOUNT > 0 ROLLBACK;
    THROW;
END CATCH
GO
SAVE TRANSACTION before_cleanup;
DELETE FROM dbo.settings WHERE name = 'y';
GO
