// A scenario's result as the report prints it: a table, the targets it checks, and notes.

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | undefined;
  /** By how much it was missed, and what bounds it, when it was. */
  comment?: string;
}

export interface Section {
  title: string;
  headers: string[];
  rows: string[][];
  targets: TargetCheck[];
  notes: string[];
}
