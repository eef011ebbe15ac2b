/**
 * The example's own data, apart from gatehouse's: conversation titles and messages, folders,
 * teams, uploaded documents and the users' plans. Who may see what is not here: that is in the
 * relationship tuples gatehouse's store keeps (see `access-model.ts`). A real service keeps this
 * in its own tables; the example writes one JSON file next to its SQLite database (or keeps it in
 * memory when given no file).
 *
 * @module
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Plan } from './access-model.js';

export interface Message {
  readonly from: string;
  readonly role: 'user' | 'assistant';
  readonly text: string;
}

export interface Conversation {
  readonly id: string;
  title: string;
  readonly ownerId: string;
  folderId: string | null;
  teamId: string | null;
  isPublic: boolean;
  readonly messages: Message[];
  readonly threads: { readonly id: string; readonly title: string }[];
}

export interface Folder {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
}

export interface Team {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
}

export interface StoredDocument {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
  readonly text: string;
}

/** What the app knows of a user beyond gatehouse: their plan (gatehouse has the account). */
export interface Profile {
  readonly userId: string;
  plan: Plan;
}

interface Snapshot {
  conversations: Conversation[];
  folders: Folder[];
  teams: Team[];
  documents: StoredDocument[];
  profiles: Profile[];
}

/** The app's data; `save()` after a change writes the file. */
export class AppData {
  readonly conversations = new Map<string, Conversation>();
  readonly folders = new Map<string, Folder>();
  readonly teams = new Map<string, Team>();
  readonly documents = new Map<string, StoredDocument>();
  readonly profiles = new Map<string, Profile>();
  readonly #file: string | undefined;

  constructor(file?: string) {
    this.#file = file;
    if (!file || !existsSync(file)) return;
    const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Partial<Snapshot>;
    for (const c of snapshot.conversations ?? []) this.conversations.set(c.id, c);
    for (const f of snapshot.folders ?? []) this.folders.set(f.id, f);
    for (const t of snapshot.teams ?? []) this.teams.set(t.id, t);
    for (const d of snapshot.documents ?? []) this.documents.set(d.id, d);
    for (const p of snapshot.profiles ?? []) this.profiles.set(p.userId, p);
  }

  /** The user's profile, created with the free plan on first use. */
  profile(userId: string): Profile {
    let found = this.profiles.get(userId);
    if (!found) {
      found = { userId, plan: 'free' };
      this.profiles.set(userId, found);
      this.save();
    }
    return found;
  }

  /** Writes the file atomically (a temporary file renamed over it). */
  save(): void {
    if (!this.#file) return;
    const snapshot: Snapshot = {
      conversations: [...this.conversations.values()],
      folders: [...this.folders.values()],
      teams: [...this.teams.values()],
      documents: [...this.documents.values()],
      profiles: [...this.profiles.values()],
    };
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(snapshot), { mode: 0o600 });
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}
