#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '@confer/core';
import { AuditLog } from '../archive/audit-log.ts';
import { AccessService, AuthError } from '../auth/access-service.ts';
import { type ConferConfig, ConfigError, loadConfig } from '../config/config.ts';
import { migrateToLatest, openStore, type Store } from '../store/database.ts';
import { serve } from './serve.ts';

const HELP: Record<string, string> = {
  main: `confer: the Confer imaging collaboration server

Usage: confer <command> [options]

Commands:
  serve              start Confer (DICOM, DICOMweb, web app)
  migrate            bring the database schema up to date
  user               manage local users (add, list, passwd, disable, enable)
  token              manage API tokens for machine clients (create, list, revoke)
  audit              check the audit trail (verify)

Run "confer <command> --help" for a command's options. Settings come from <data dir>/confer.json
(or CONFER_CONFIG), then CONFER_* environment variables; see docs/configuration.md.`,
  serve: `confer serve [--demo] [--data-dir DIR] [--http-port N] [--dicom-port N]

Starts Confer and prints where the web app, DICOMweb and the DICOM port are and how to sign in.
  --demo             seed a demo network of sites and synthetic studies on a fresh data dir (CONFER_DEMO=1)
  --no-demo          never seed demo data (use this, or leave CONFER_DEMO unset, in real deployments)
  --data-dir DIR     where the embedded database and DICOM files live (CONFER_DATA_DIR, default ./data)
  --http-port N      web app, API and DICOMweb port (CONFER_HTTP_PORT, default 8300)
  --dicom-port N     DICOM port (CONFER_DICOM_PORT, default 11112)
SIGINT or SIGTERM stops taking new work, finishes stores in flight, then exits; a second signal exits at once.`,
  migrate: `confer migrate [--data-dir DIR]

Applies pending schema migrations to the configured database (CONFER_DATABASE_URL, or the embedded
SQLite file) and prints what it applied. "confer serve" does this too at every start.`,
  user: `confer user <add|list|passwd|disable|enable> ...

  confer user add NAME --role ROLE [--role ROLE...] [--site SITE] [--display-name TEXT] [--password-stdin]
  confer user list
  confer user passwd NAME [--password-stdin]
  confer user disable NAME       (also ends the user's sessions)
  confer user enable NAME
Without --password-stdin a strong password is generated and printed once.
Roles: admin, radiologist, technologist, referrer, coordinator, integration, compliance.`,
  token: `confer token <create|list|revoke> ...

  confer token create NAME --user USER [--expires-days N]   prints the token once; send it as
                                                           "Authorization: Bearer <token>"
  confer token list
  confer token revoke ID
A token acts with its user's roles.`,
  audit: `confer audit verify

Recomputes the audit trail's hash chain and reports the first row that was changed or removed, if any.`,
};

function fail(message: string, code = 2): never {
  process.stderr.write(`confer: ${message}\n`);
  process.exit(code);
}

function readPasswordFromStdin(): string {
  const text = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (!text) fail('no password on standard input');
  return text;
}

async function withStore<T>(config: ConferConfig, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    sqlitePath: join(config.dataDir, 'confer.sqlite'),
  });
  try {
    await migrateToLatest(store);
    return await fn(store);
  } finally {
    await store.close();
  }
}

function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${HELP.main}\n`);
    return;
  }
  if (!HELP[command]) fail(`unknown command "${command}"; run "confer --help"`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      demo: { type: 'boolean' },
      'no-demo': { type: 'boolean' },
      'data-dir': { type: 'string' },
      'http-port': { type: 'string' },
      'dicom-port': { type: 'string' },
      role: { type: 'string', multiple: true },
      site: { type: 'string' },
      'display-name': { type: 'string' },
      'password-stdin': { type: 'boolean' },
      user: { type: 'string' },
      'expires-days': { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP[command]}\n`);
    return;
  }
  const overrides: Partial<ConferConfig> = {};
  if (values['data-dir']) overrides.dataDir = values['data-dir'];
  if (values['http-port'] !== undefined)
    (overrides as Record<string, unknown>).httpPort = values['http-port'];
  if (values['dicom-port'] !== undefined)
    (overrides as Record<string, unknown>).dicomPort = values['dicom-port'];
  if (values.demo) overrides.demo = true;
  if (values['no-demo']) overrides.demo = false;
  const config = loadConfig(process.env, overrides);
  const access = (store: Store) =>
    new AccessService({ db: store.db, clock: systemClock, sessionTtlMs: config.sessionTtlMs });

  switch (command) {
    case 'serve':
      return serve(config);
    case 'migrate':
      await withStore(config, async (store) => {
        const applied = await migrateToLatest(store);
        process.stdout.write(
          applied.length ? `applied: ${applied.join(', ')}\n` : `${store.describe} is up to date\n`,
        );
      });
      return;
    case 'user': {
      const [sub, name] = positionals;
      await withStore(config, async (store) => {
        const svc = access(store);
        switch (sub) {
          case 'add': {
            if (!name) fail('usage: confer user add NAME --role ROLE');
            if (!values.role?.length) fail('give at least one --role (see "confer user --help")');
            const password = values['password-stdin'] ? readPasswordFromStdin() : generatePassword();
            const u = await svc.createUser({
              username: name,
              password,
              roles: values.role,
              ...(values['display-name'] ? { displayName: values['display-name'] } : {}),
              siteId: values.site ?? null,
            });
            process.stdout.write(`created user ${u.username} with roles ${u.roles.join(', ')}\n`);
            if (!values['password-stdin']) process.stdout.write(`password (shown once): ${password}\n`);
            return;
          }
          case 'list':
            for (const u of await svc.listUsers()) {
              process.stdout.write(
                `${u.username}\t${u.roles.join(',')}\t${u.siteId ?? '-'}\t${u.disabled ? 'disabled' : 'active'}\n`,
              );
            }
            return;
          case 'passwd': {
            if (!name) fail('usage: confer user passwd NAME');
            const password = values['password-stdin'] ? readPasswordFromStdin() : generatePassword();
            await svc.setPassword(name, password);
            process.stdout.write(`password changed for ${name}\n`);
            if (!values['password-stdin']) process.stdout.write(`new password (shown once): ${password}\n`);
            return;
          }
          case 'disable':
          case 'enable':
            if (!name) fail(`usage: confer user ${sub} NAME`);
            await svc.setDisabled(name, sub === 'disable');
            process.stdout.write(`${name} ${sub}d\n`);
            return;
          default:
            fail(`unknown user command "${sub ?? ''}"; run "confer user --help"`);
        }
      });
      return;
    }
    case 'token': {
      const [sub, arg] = positionals;
      await withStore(config, async (store) => {
        const svc = access(store);
        switch (sub) {
          case 'create': {
            if (!arg || !values.user) fail('usage: confer token create NAME --user USER [--expires-days N]');
            const days = values['expires-days'] === undefined ? undefined : Number(values['expires-days']);
            if (days !== undefined && (!Number.isInteger(days) || days < 1))
              fail('--expires-days takes a whole number of days');
            const t = await svc.createToken({
              name: arg,
              username: values.user,
              ...(days ? { expiresInDays: days } : {}),
            });
            process.stdout.write(`token ${t.id} for ${values.user} (shown once):\n${t.token}\n`);
            return;
          }
          case 'list':
            for (const t of await svc.listTokens()) {
              process.stdout.write(
                `${t.id}\t${t.name}\t${t.username}\t${t.prefix}...\t${t.revoked ? 'revoked' : (t.expiresAt ?? 'no expiry')}\tlast used ${t.lastUsedAt ?? 'never'}\n`,
              );
            }
            return;
          case 'revoke':
            if (!arg || !/^\d+$/.test(arg)) fail('usage: confer token revoke ID (see "confer token list")');
            await svc.revokeToken(Number(arg));
            process.stdout.write(`token ${arg} revoked\n`);
            return;
          default:
            fail(`unknown token command "${sub ?? ''}"; run "confer token --help"`);
        }
      });
      return;
    }
    case 'audit': {
      if (positionals[0] !== 'verify') fail('usage: confer audit verify');
      await withStore(config, async (store) => {
        const r = await new AuditLog(store.db, store.dialect, systemClock).verify();
        if (r.brokenAtId === null) process.stdout.write(`audit trail intact: ${r.rows} events\n`);
        else fail(`audit trail broken at event ${r.brokenAtId} (after ${r.rows} intact events)`, 1);
      });
      return;
    }
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof ConfigError) fail(`configuration error: ${err.message}`);
    if (err instanceof AuthError) fail(`${err.message} (${err.code})`);
    fail((err as Error).stack ?? String(err), 1);
  });
}
