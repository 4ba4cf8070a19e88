-- The chat schema, version 1. Portable SQL: the same file runs on H2, MariaDB and PostgreSQL.
-- Names are validated by chat (lowercase letters, digits, '_' and '-'), so comparisons mean
-- the same under every database's default collation.

CREATE TABLE chat_rooms (
  name VARCHAR(64) NOT NULL,
  created_by VARCHAR(32) NOT NULL,
  created_at_ms BIGINT NOT NULL,
  -- The seq of the newest message; posts to one room take this row's lock in turn.
  last_seq BIGINT NOT NULL,
  PRIMARY KEY (name)
);

CREATE TABLE chat_members (
  room VARCHAR(64) NOT NULL,
  user_name VARCHAR(32) NOT NULL,
  joined_at_ms BIGINT NOT NULL,
  PRIMARY KEY (room, user_name),
  FOREIGN KEY (room) REFERENCES chat_rooms (name)
);

CREATE TABLE chat_messages (
  room VARCHAR(64) NOT NULL,
  seq BIGINT NOT NULL,
  user_name VARCHAR(32) NOT NULL,
  body VARCHAR(2000) NOT NULL,
  at_ms BIGINT NOT NULL,
  -- Chosen by the sender to make a retried post safe; NULL when none was given.
  client_id VARCHAR(64),
  PRIMARY KEY (room, seq),
  UNIQUE (room, client_id),
  FOREIGN KEY (room, user_name) REFERENCES chat_members (room, user_name)
);
