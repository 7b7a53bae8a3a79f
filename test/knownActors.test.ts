import { describe, expect, it } from 'vitest';
import { KnownActors, sameActor } from '../src/people.js';

describe('the actors kept as guesses', () => {
  it('keeps at most its bound, forgetting the sender heard from longest ago', () => {
    const known = new KnownActors(2);
    known.remember({ openId: 'ou_a', name: 'A', roles: [] });
    known.remember({ openId: 'ou_b', name: 'B', roles: [] });
    known.remember({ openId: 'ou_a', name: 'A', roles: ['admin'] }); // heard from again: now the newest
    known.remember({ openId: 'ou_c', name: 'C', roles: [] });
    expect(known.get('ou_b')).toBeUndefined();
    expect(known.get('ou_a')?.roles).toEqual(['admin']);
    expect(known.get('ou_c')?.name).toBe('C');
  });

  it('keeps its own copy: changing the actor handed out does not change the guess', () => {
    const known = new KnownActors();
    const actor = { openId: 'ou_a', name: 'A', roles: ['expert' as const] };
    known.remember(actor);
    actor.roles.push('admin' as never);
    expect(known.get('ou_a')?.roles).toEqual(['expert']);
  });

  it('a guess holds only for the same name and the same roles, in any order, and never for an event seen before', () => {
    const guess = { openId: 'ou_a', name: 'A', roles: ['expert', 'leader'] as const };
    expect(sameActor({ openId: 'ou_a', name: 'A', roles: ['leader', 'expert'] }, { ...guess, roles: [...guess.roles] })).toBe(true);
    expect(sameActor({ openId: 'ou_a', name: 'A', roles: ['leader'] }, { ...guess, roles: [...guess.roles] })).toBe(false);
    expect(sameActor({ openId: 'ou_a', name: 'A', roles: ['leader', 'admin'] }, { ...guess, roles: [...guess.roles] })).toBe(false);
    expect(sameActor({ openId: 'ou_a', name: 'A2', roles: ['leader', 'expert'] }, { ...guess, roles: [...guess.roles] })).toBe(false);
    expect(sameActor(undefined, { ...guess, roles: [...guess.roles] })).toBe(false);
  });
});
