import ExcelJS from 'exceljs';
import pg from 'pg';
import { hashPassword } from '../../../shared/auth';
import { testDatabaseUrl } from '../../support/database';
import type { Body, Json } from '../../support/http';
export type { Body } from '../../support/http';


/** A small HTTP client for one node's API: JSON calls, multipart uploads, raw bytes. */
export function client(base: string) {
  const headers = (token?: string, extra: Record<string, string> = {}) => ({ ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra });
  return {
    base,
    async call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: Body; headers: Headers }> {
      const res = await fetch(`${base}/${path}`, {
        method,
        headers: headers(token, body !== undefined ? { 'content-type': 'application/json' } : {}),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Body) : {}, headers: res.headers };
    },
    async raw(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
      const res = await fetch(`${base}/${path}`, {
        method,
        headers: headers(token, body !== undefined ? { 'content-type': 'application/json' } : {}),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
    },
    async upload(path: string, file: Buffer, fileName: string, fields: Record<string, string>, token?: string): Promise<{ status: number; body: Body }> {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(file)]), fileName);
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      const res = await fetch(`${base}/${path}`, { method: 'POST', headers: headers(token), body: form });
      return { status: res.status, body: (await res.json()) as Body };
    },
    async signIn(account = 'nocobase', password = 'admin123'): Promise<string> {
      const res = await fetch(`${base}/auth:signIn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account, password }) });
      return ((await res.json()) as Body).data.token;
    },
  };
}

export type Client = ReturnType<typeof client>;

/** Polls asyncTasks:get until the task has ended (status not null/0). */
export async function waitForTask(api: Client, id: string, token: string): Promise<Json> {
  for (;;) {
    const task = (await api.call('GET', `asyncTasks:get?filterByTk=${id}`, undefined, token)).body.data;
    if (task && task.status !== null && task.status !== 0) return task;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Adds a member user straight to the app's users table (there is no users:create yet). */
export async function addMember(schema: string, username: string, password: string): Promise<void> {
  const db = new pg.Client({ connectionString: testDatabaseUrl() });
  await db.connect();
  try {
    const id = Math.floor(Math.random() * 1e12) + 1e12;
    await db.query(`insert into "${schema}"."users" ("id", "username", "password", "roles") values ($1, $2, $3, '{member}')`, [id, username, await hashPassword(password)]);
  } finally {
    await db.end();
  }
}

export async function sql<R = Json>(text: string, params: unknown[] = []): Promise<R[]> {
  const db = new pg.Client({ connectionString: testDatabaseUrl() });
  await db.connect();
  try {
    return (await db.query(text, params)).rows as R[];
  } finally {
    await db.end();
  }
}

/** The first sheet of an xlsx as arrays of cell values (row 1 first). */
export async function readXlsx(bytes: Buffer): Promise<unknown[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as never);
  const rows: unknown[][] = [];
  wb.worksheets[0]!.eachRow({ includeEmpty: false }, (row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

export async function xlsxOf(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('Sheet 1');
  for (const r of rows) sheet.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
