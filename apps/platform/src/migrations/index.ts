import type { Migration } from 'kysely';
import * as initial from './0001-initial';
import * as alarms from './0002-alarms';
import * as fund from './0003-fund';
import * as parking from './0004-parking';
import * as billing from './0005-billing';
import * as statistics from './0006-statistics';
import * as disclosureBoard from './0007-disclosure-board';
import * as accessSessions from './0008-access-sessions';
import * as durableWorkflow from './0009-durable-workflow';
import * as unitVerification from './0010-unit-verification';
import * as ownerVotes from './0011-owner-votes';
import * as complaints from './0012-complaints';
import * as maintenancePlans from './0013-maintenance-plans';
import * as complaintLinks from './0014-complaint-links';
import * as maintenanceScreens from './0015-maintenance-screens';
import * as creditGrade from './0016-credit-grade';
import * as satisfactionSurveys from './0017-satisfaction-surveys';
import * as fundAccounts from './0018-fund-accounts';
import * as committeeBoard from './0019-committee-board';
import * as onlinePayments from './0020-online-payments';
import * as visitorParking from './0022-visitor-parking';
import * as exitHolds from './0023-exit-holds';
import * as commonIncome from './0024-common-income';

/** Versioned migrations, applied in name order at start-up. Never edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-alarms': alarms,
  '0003-fund': fund,
  '0004-parking': parking,
  '0005-billing': billing,
  '0006-statistics': statistics,
  '0007-disclosure-board': disclosureBoard,
  '0008-access-sessions': accessSessions,
  '0009-durable-workflow': durableWorkflow,
  '0010-unit-verification': unitVerification,
  '0011-owner-votes': ownerVotes,
  '0012-complaints': complaints,
  '0013-maintenance-plans': maintenancePlans,
  '0014-complaint-links': complaintLinks,
  '0015-maintenance-screens': maintenanceScreens,
  '0016-credit-grade': creditGrade,
  '0017-satisfaction-surveys': satisfactionSurveys,
  '0018-fund-accounts': fundAccounts,
  '0019-committee-board': committeeBoard,
  '0020-online-payments': onlinePayments,
  '0022-visitor-parking': visitorParking,
  '0023-exit-holds': exitHolds,
  '0024-common-income': commonIncome,
};
