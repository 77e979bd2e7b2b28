// Opens an SQLite file the way every embedded database of telemq is opened: the only module that
// imports better-sqlite3 at run time. Two databases use it, each in its own file so neither's
// writes wait on the other's lock: the telemetry store (in its worker thread, stores/sqlite/) and
// the session persistence (on the event loop, broker/persistence/). Both use WAL with
// synchronous=NORMAL: a commit is in the WAL before it returns, so it survives the process being
// killed (kill -9); only a power loss can take the last commits, which is the trade WAL offers
// for not waiting on fsync at every commit.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;
export type SqliteStatement = Database.Statement;

export function openSqlite(file: string): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}
