// The administration API as the dashboard reads it: accounts, password reset codes, enrolment
// codes, devices and the audit log. Who may do what is the server's (core's) answer; these are
// only the wire types and the calls.

import { apiUrl, call } from './api';
import type { components } from './openapi';

type Schemas = components['schemas'];

export type User = Schemas['UserView'];
export type ResetCode = Schemas['ResetCode'];
export type Device = Schemas['DeviceRow'];
/** A member's request to recover a phone whose PIN they forgot, waiting for approval. */
export type PendingRecovery = Schemas['PendingRecovery'];
export type EnrolmentCode = Schemas['SheetCode'];
export type EnrolmentSheet = Schemas['EnrolmentSheet'];
export type AuditRow = Schemas['AuditRow'];
export type AuditAction = Schemas['ActionOption'];

const path = (s: string) => encodeURIComponent(s);

export const admin = {
  users: () => call<User[]>('GET', apiUrl('/users')),
  addUser: (body: Schemas['AddUserBody']) => call<User>('POST', apiUrl('/users'), body),
  setRole: (login: string, role: string, scope?: string) => call<User>('POST', apiUrl(`/users/${path(login)}/role`), { role, scope }),
  disable: (login: string) => call<User>('POST', apiUrl(`/users/${path(login)}/disable`), {}),
  enable: (login: string) => call<User>('POST', apiUrl(`/users/${path(login)}/enable`), {}),
  resetCode: (login: string) => call<ResetCode>('POST', apiUrl(`/users/${path(login)}/reset-code`), {}),
  resetPassword: (login: string, code: string, password: string) => call<null>('POST', apiUrl('/password-reset'), { login, code, password }),
  devices: (unit?: string) => call<Device[]>('GET', apiUrl('/devices', { unit })),
  revoke: (id: string) => call<Schemas['DeviceRevoked']>('POST', apiUrl(`/devices/${path(id)}/revoke`), {}),
  recoveries: () => call<PendingRecovery[]>('GET', apiUrl('/recoveries')),
  approveRecovery: (device: string) => call<Schemas['RecoveryApproval']>('POST', apiUrl(`/recoveries/${path(device)}/approve`), {}),
  enrolOne: (holder: string) => call<Schemas['IssuedCode']>('POST', apiUrl('/enrolments'), { holder }),
  enrolCell: (cell: string) => call<EnrolmentSheet>('POST', apiUrl('/enrolments/cell'), { cell }),
  audit: (q: Record<string, string | undefined>) => call<AuditRow[]>('GET', apiUrl('/audit', q)),
  auditActions: () => call<AuditAction[]>('GET', apiUrl('/audit/actions')),
};
