// The administration API as the dashboard reads it: accounts, password reset codes, enrolment
// codes, devices and the audit log. Who may do what is the server's (core's) answer; these are
// only the wire types and the calls.

import { apiUrl, call } from './api';

export interface User {
  login: string;
  name: string;
  role: string;
  role_label: string;
  scope: string;
  disabled: boolean;
  disabled_at: number | null;
  created_at: number;
}

export interface ResetCode {
  login: string;
  code: string;
  expires_at: number;
  expires: string;
}

export interface Device {
  id: string;
  holder: string;
  name: string;
  label: string;
  unit: string;
  enrolled_at: number;
  last_sync_at: number | null;
  syncs: number;
  revoked_at: number | null;
  locked: boolean;
  app_version: string | null;
}

/** A member's request to recover a phone whose PIN they forgot, waiting for approval. */
export interface PendingRecovery {
  device: string;
  member: string;
  member_name: string;
  label: string;
  requested_at: number;
}

export interface EnrolmentCode {
  member: string;
  name: string;
  code: string;
  expires_at: number;
  expires: string;
}

export interface EnrolmentSheet {
  cell: { id: string; name: string };
  codes: EnrolmentCode[];
  /** Members of the cell who hold a phone already, so got no code. */
  enrolled: { member: string; name: string }[];
}

export interface AuditRow {
  seq: number;
  at: number;
  time: string;
  actor: string;
  action: string;
  action_label: string;
  target: string;
  detail: string;
  unit: string | null;
}

export interface AuditAction {
  code: string;
  label: string;
}

const path = (s: string) => encodeURIComponent(s);

export const admin = {
  users: () => call<User[]>('GET', apiUrl('/users')),
  addUser: (body: { login: string; name: string; password: string; role: string; scope: string }) => call<User>('POST', apiUrl('/users'), body),
  setRole: (login: string, role: string, scope?: string) => call<User>('POST', apiUrl(`/users/${path(login)}/role`), { role, scope }),
  disable: (login: string) => call<User>('POST', apiUrl(`/users/${path(login)}/disable`), {}),
  enable: (login: string) => call<User>('POST', apiUrl(`/users/${path(login)}/enable`), {}),
  resetCode: (login: string) => call<ResetCode>('POST', apiUrl(`/users/${path(login)}/reset-code`), {}),
  resetPassword: (login: string, code: string, password: string) => call<null>('POST', apiUrl('/password-reset'), { login, code, password }),
  devices: (unit?: string) => call<Device[]>('GET', apiUrl('/devices', { unit })),
  revoke: (id: string) => call<{ device: string; revoked: boolean }>('POST', apiUrl(`/devices/${path(id)}/revoke`), {}),
  recoveries: () => call<PendingRecovery[]>('GET', apiUrl('/recoveries')),
  approveRecovery: (device: string) => call<{ device: string; approved_at: number }>('POST', apiUrl(`/recoveries/${path(device)}/approve`), {}),
  enrolOne: (holder: string) => call<{ code: string; holder: string; expires_at: number }>('POST', apiUrl('/enrolments'), { holder }),
  enrolCell: (cell: string) => call<EnrolmentSheet>('POST', apiUrl('/enrolments/cell'), { cell }),
  audit: (q: Record<string, string | undefined>) => call<AuditRow[]>('GET', apiUrl('/audit', q)),
  auditActions: () => call<AuditAction[]>('GET', apiUrl('/audit/actions')),
};
