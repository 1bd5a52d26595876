-- A copy of the database (staging, test, hosted duplicate) must never call Pleo with the
-- production keys: every connection is disabled; an administrator may enable one on purpose.
UPDATE pleo_connection
   SET state = 'disabled',
       last_error = 'Disabled by the neutralization of this database copy.';
