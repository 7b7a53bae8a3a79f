import { UserError } from './errors.js';
import type { Actor, Role } from './people.js';

/** One allowed move: from which states, to which, and who may make it. */
export interface Transition<S extends string> {
  from: readonly S[];
  to: S;
  roles: readonly Role[];
}

/** A state machine as data: a table of named transitions. */
export class StateMachine<S extends string, T extends string> {
  constructor(
    readonly entity: string,
    readonly transitions: Record<T, Transition<S>>,
    private readonly stateNames: Record<S, string>,
    /** What the state means for whoever was refused in it: where the thing is, and what to do next. */
    private readonly nextSteps: Partial<Record<S, string>> = {},
  ) {}

  /** Throws a UserError unless `name` is allowed from `current` for this actor; returns the new state. */
  check(name: T, current: S, actor: Actor, extraRoles: Role[] = []): S {
    const t = this.transitions[name];
    const roles = [...actor.roles, ...extraRoles];
    if (t.roles.length && !t.roles.some((r) => roles.includes(r))) {
      throw new UserError('你没有权限进行此操作。');
    }
    if (!t.from.includes(current)) {
      throw new UserError(`当前状态为“${this.stateNames[current] ?? current}”，不能进行此操作。${this.nextSteps[current] ?? ''}`, { kind: 'info' });
    }
    return t.to;
  }

  /** Whether `current` is where `name` leads: a second click on a transition already made. */
  reached(name: T, current: S): boolean {
    return this.transitions[name].to === current;
  }

  /** What the state means for whoever was refused in it (where the thing is, what to do next), if the table says. */
  nextStep(state: S): string | undefined {
    return this.nextSteps[state];
  }

  label(state: S): string {
    return this.stateNames[state] ?? state;
  }
}
