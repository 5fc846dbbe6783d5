import type * as vscode from 'vscode';

/** Tracks disposables where they are created and disposes them in reverse order. */
export class DisposableStore implements vscode.Disposable {
  private items: vscode.Disposable[] = [];
  private disposed = false;

  track<T extends vscode.Disposable>(item: T): T {
    if (this.disposed) {
      item.dispose();
    } else {
      this.items.push(item);
    }
    return item;
  }

  /** Dispose what is tracked so far and keep the store usable (per-connection lifetimes). */
  clear(): void {
    const items = this.items.reverse();
    this.items = [];
    for (const d of items) {
      try {
        d.dispose();
      } catch {
        // One failing disposer must not keep the others alive.
      }
    }
  }

  dispose(): void {
    this.clear();
    this.disposed = true;
  }
}
