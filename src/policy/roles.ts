/**
 * Roles (RBAC) with inheritance, subset inheritance and explicit denies, precomputed so a check
 * is one `Set` lookup, and expressible as a relation type of the same engine (resource-level roles).
 *
 * Precedence, documented once: a role's effective permissions are its own plus those it inherits
 * (all of a parent's, or only the named subset), minus every permission denied by the role or by
 * a role it inherits from. Across the several roles of one subject, a deny from any of them wins
 * over a grant from any other. Unknown roles and permissions grant nothing (OWASP ASVS 5.0 8.2.1, 15.3.6).
 *
 * @module
 */

import { isSafeName, type Rewrite, type TypeDefinition } from './model.js';

/** Inherit a parent role: all of its permissions, or `only` the listed subset. */
export interface RoleInheritance {
  readonly role: string;
  readonly only?: readonly string[];
}

/** A role: what it inherits, what it grants, and what it explicitly denies. */
export interface RoleDefinition {
  readonly inherits?: readonly (string | RoleInheritance)[];
  readonly permissions?: readonly string[];
  readonly deny?: readonly string[];
}

/** Thrown by {@link defineRoles} for an unsafe name, an unknown parent, a role cycle or an impossible subset. */
export class RoleDefinitionError extends Error {
  readonly role: string;
  constructor(role: string, message: string) {
    super(`role ${role}: ${message}`);
    this.name = 'RoleDefinitionError';
    this.role = role;
  }
}

/** The decision of {@link Roles.explain}. */
export interface RoleDecision {
  readonly allowed: boolean;
  /** `granted`, `deny_rule` (a role denies it: deny wins) or `no_matching_rule`. */
  readonly code: 'granted' | 'deny_rule' | 'no_matching_rule';
  /** The role that granted or denied. */
  readonly role?: string;
}

/** Compiled roles: per role, a `Set` of allowed and of denied permissions. */
export interface Roles {
  /** Role names in definition order. */
  readonly names: readonly string[];
  /** `true` when `role` exists and its effective permissions include `permission` (O(1)). */
  roleAllows(role: string, permission: string): boolean;
  /** `true` when any of `roles` allows `permission` and none denies it (deny wins). */
  rolesAllow(roles: readonly string[], permission: string): boolean;
  /** Like {@link Roles.rolesAllow}, with the deciding role and a stable code. */
  explain(roles: readonly string[], permission: string): RoleDecision;
  /** The effective permissions of `role` (empty for an unknown role). */
  permissionsOf(role: string): ReadonlySet<string>;
  /** `true` when `role` is `ancestor` or inherits from it, directly or not (for `requireRole` with hierarchy). */
  inheritsFrom(role: string, ancestor: string): boolean;
}

interface Effective {
  readonly allow: ReadonlySet<string>;
  readonly deny: ReadonlySet<string>;
  readonly ancestors: ReadonlySet<string>;
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * Compiles role definitions. Checks that every name is safe, every parent exists, the
 * inheritance graph has no cycle (refused at definition time, OWASP Authorization Cheat Sheet), and a subset names only
 * permissions the parent effectively has (so a typo is an error, not a silent loss of access).
 */
export function defineRoles(definitions: Readonly<Record<string, RoleDefinition>>): Roles {
  const defs = new Map<string, RoleDefinition>();
  for (const name of Object.keys(definitions)) {
    if (!isSafeName(name)) throw new RoleDefinitionError(name, 'is not a safe name');
    const def = definitions[name]!;
    for (const p of [...(def.permissions ?? []), ...(def.deny ?? [])]) {
      if (!isSafeName(p))
        throw new RoleDefinitionError(name, `permission ${JSON.stringify(p)} is not a safe name`);
    }
    defs.set(name, def);
  }
  const effective = new Map<string, Effective>();
  const visiting: string[] = [];
  const resolve = (name: string): Effective => {
    const done = effective.get(name);
    if (done) return done;
    if (visiting.includes(name)) {
      throw new RoleDefinitionError(name, `inheritance cycle ${[...visiting, name].join(' -> ')}`);
    }
    const def = defs.get(name)!;
    visiting.push(name);
    const allow = new Set(def.permissions ?? []);
    const deny = new Set(def.deny ?? []);
    const ancestors = new Set<string>();
    for (const entry of def.inherits ?? []) {
      const parent = typeof entry === 'string' ? { role: entry } : entry;
      if (!isSafeName(parent.role) || !defs.has(parent.role)) {
        throw new RoleDefinitionError(name, `inherits unknown role ${JSON.stringify(parent.role)}`);
      }
      const p = resolve(parent.role);
      ancestors.add(parent.role);
      for (const a of p.ancestors) ancestors.add(a);
      if (parent.only === undefined) {
        for (const perm of p.allow) allow.add(perm);
        for (const perm of p.deny) deny.add(perm);
      } else {
        for (const perm of parent.only) {
          if (!p.allow.has(perm)) {
            throw new RoleDefinitionError(
              name,
              `inherits ${JSON.stringify(perm)} which ${parent.role} does not have`,
            );
          }
          allow.add(perm);
        }
      }
    }
    for (const perm of deny) allow.delete(perm);
    visiting.pop();
    const result: Effective = { allow, deny, ancestors };
    effective.set(name, result);
    return result;
  };
  for (const name of defs.keys()) resolve(name);

  const explain = (roles: readonly string[], permission: string): RoleDecision => {
    let grantedBy: string | undefined;
    for (const role of roles) {
      const e = typeof role === 'string' ? effective.get(role) : undefined;
      if (!e) continue;
      if (e.deny.has(permission)) return { allowed: false, code: 'deny_rule', role };
      if (grantedBy === undefined && e.allow.has(permission)) grantedBy = role;
    }
    return grantedBy === undefined
      ? { allowed: false, code: 'no_matching_rule' }
      : { allowed: true, code: 'granted', role: grantedBy };
  };

  return {
    names: [...defs.keys()],
    roleAllows: (role, permission) => effective.get(role)?.allow.has(permission) ?? false,
    rolesAllow: (roles, permission) => explain(roles, permission).allowed,
    explain,
    permissionsOf: (role) => effective.get(role)?.allow ?? EMPTY,
    inheritsFrom: (role, ancestor) =>
      effective.has(role) && (role === ancestor || (effective.get(role)?.ancestors.has(ancestor) ?? false)),
  };
}

/** Options of {@link rolesTypeDefinition}. */
export interface RolesTypeOptions {
  /** Subject types that may be assigned a role, e.g. `['user', 'team#member']`. Default `['user']`. */
  readonly subjectTypes?: readonly string[];
}

/**
 * Expresses compiled roles as one object type of the policy engine, for resource-level roles: a
 * relation per role (assign a user with a tuple `workspace:1#ADMIN@user:anne`; a global role is
 * the same on a singleton object such as `app:global`) and a relation per permission that is the
 * union of the roles allowing it, with a deny rule made of the roles denying it. Inheritance is
 * already folded into the sets, so the engine evaluates one level. Role and permission names
 * must differ.
 */
export function rolesTypeDefinition(roles: Roles, options: RolesTypeOptions = {}): TypeDefinition {
  const subjects = (options.subjectTypes ?? ['user']).map((s) => {
    const [type, relation] = s.split('#');
    return relation === undefined ? { type: type! } : { type: type!, relation };
  });
  const relations: Record<string, { directly?: typeof subjects; rewrite?: Rewrite; deny?: Rewrite }> =
    Object.create(null);
  const permissions = new Set<string>();
  const denied = new Set<string>();
  for (const role of roles.names) {
    relations[role] = { directly: subjects };
    for (const p of roles.permissionsOf(role)) permissions.add(p);
  }
  for (const role of roles.names) {
    for (const p of [...permissions]) if (roles.explain([role], p).code === 'deny_rule') denied.add(p);
  }
  for (const p of new Set([...permissions, ...denied])) {
    if (roles.names.includes(p))
      throw new RoleDefinitionError(p, 'a permission cannot have the name of a role');
    const allowing = roles.names.filter((r) => roles.roleAllows(r, p)).map((r) => ({ computed: r }));
    const denying = roles.names
      .filter((r) => roles.explain([r], p).code === 'deny_rule')
      .map((r) => ({ computed: r }));
    if (allowing.length === 0) continue;
    relations[p] = {
      rewrite: { union: allowing },
      ...(denying.length > 0 ? { deny: { union: denying } } : {}),
    };
  }
  return { relations };
}
