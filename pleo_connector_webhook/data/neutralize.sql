-- A copy of the database must never receive production's webhook events, nor repoint or delete
-- production's subscription: the copy forgets the subscription, its secret and its path token
-- (production keeps them). An administrator who enables a connection of the copy on purpose
-- subscribes the copy anew, at the copy's own address.
DELETE FROM pleo_webhook_secret;
DELETE FROM pleo_webhook_event;
UPDATE pleo_connection
   SET webhook_subscription_uuid = NULL,
       webhook_database_uuid = NULL,
       webhook_state = 'off',
       webhook_reason = 'neutralized';
