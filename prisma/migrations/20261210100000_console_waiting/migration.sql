-- Automatic assignment takes an unassigned conversation only once the customer has written since an agent last
-- changed its assignment (a conversation released by hand is not handed straight back). conversation.assigned_at
-- says so exactly: an agent's change sets it, and a customer message to an unassigned conversation clears it here,
-- in the statement that stores the message, so neither clocks nor announcements decide.
CREATE OR REPLACE FUNCTION "conversation_reopen"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."status" <> 'open' THEN
    INSERT INTO "conversation_activity" ("app_id", "openid", "kind", "cause", "from_value", "to_value", "message_id")
    VALUES (NEW."app_id", NEW."openid", 'status', 'customer', OLD."status", 'open', NEW."last_message_id");
    NEW."status" := 'open';
    NEW."status_at" := now();
  END IF;
  IF OLD."snoozed_until" IS NOT NULL THEN
    IF OLD."snoozed_until" > now() THEN
      INSERT INTO "conversation_activity" ("app_id", "openid", "kind", "cause", "from_value", "to_value", "message_id")
      VALUES (NEW."app_id", NEW."openid", 'snooze', 'customer', to_char(OLD."snoozed_until" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), NULL, NEW."last_message_id");
    END IF;
    NEW."snoozed_until" := NULL;
  END IF;
  IF NEW."assignee" IS NOT NULL AND (OLD."status" <> 'open' OR OLD."snoozed_until" IS NOT NULL) AND NOT EXISTS (
    SELECT 1 FROM "agent" a JOIN "agent_app" aa ON aa."username" = a."username"
    WHERE a."username" = NEW."assignee" AND aa."app_id" = NEW."app_id" AND a."availability" = 'online'
  ) THEN
    INSERT INTO "conversation_activity" ("app_id", "openid", "kind", "cause", "from_value", "to_value", "message_id")
    VALUES (NEW."app_id", NEW."openid", 'assignment', 'customer', NEW."assignee", NULL, NEW."last_message_id");
    NEW."assignee" := NULL;
  END IF;
  IF NEW."assignee" IS NULL THEN
    NEW."assigned_at" := NULL;
  END IF;
  RETURN NEW;
END
$$;

DROP TRIGGER "conversation_reopen" ON "conversation";
CREATE TRIGGER "conversation_reopen" BEFORE UPDATE ON "conversation" FOR EACH ROW
  WHEN (NEW."unread_count" > OLD."unread_count" AND (OLD."status" <> 'open' OR OLD."snoozed_until" IS NOT NULL OR (OLD."assignee" IS NULL AND OLD."assigned_at" IS NOT NULL)))
  EXECUTE FUNCTION "conversation_reopen"();
