// What either interface's side of the EVSE managers does (the connector interface's notifier, the
// evse interface's reconciler): hears each change, and after a restart of this module tells every
// EVSE manager what the book says, since it may still show what an earlier run told it.
import type { ChangeListener } from '../module/part';

export interface EvseSide extends ChangeListener {
  /** This module restarted: an EVSE manager may still show what an earlier run told it. */
  forgetShown(): void;
  /** The system is ready: each EVSE manager whose state is not known is told what the book says. */
  announceAll(): void;
}
