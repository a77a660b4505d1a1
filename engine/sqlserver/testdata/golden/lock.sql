DECLARE @r INT; EXEC @r = sp_getapplock @Resource = N'strata-7fffffff01020304', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 1500; SELECT @r
EXEC sp_releaseapplock @Resource = N'strata-ffffffffffffffd6', @LockOwner = 'Session'
