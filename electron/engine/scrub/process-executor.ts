import { fork, type ChildProcess } from 'node:child_process';
import { abortedError } from '../core/fanout-error';
import type { Executor } from './executor';
import { isFileTask, type ChildReply, type ChildRequest, type ScrubInput, type WorkerReply } from './scrub-protocol';
import { siblingScript } from './worker-script';

interface Task {
  id: number;
  input: ScrubInput;
  resolve: (r: WorkerReply) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

interface Slot {
  child: ChildProcess;
  task: Task | null;
}

/**
 * `size` forked child processes, one book each at a time, fed from a FIFO queue. Same interface
 * as the thread executor so the two can be compared: bytes are copied (structured clone over the
 * IPC pipe) both ways, which is the cost processes pay for isolation.
 */
export function createProcessExecutor(size: number): Executor {
  const script = siblingScript('scrub-child');
  const queue: Task[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    const child = fork(script.path, [], {
      execArgv: script.execArgv,
      serialization: 'advanced', // Uint8Array survives as bytes, not as a JSON array of numbers
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const slot: Slot = { child, task: null };
    child.on('message', (msg: ChildReply) => {
      const task = slot.task;
      if (task === null || task.id !== msg.id) return; // a reply for a task already aborted
      slot.task = null;
      settle(task);
      switch (msg.kind) {
        case 'done':
          task.resolve(msg.reply);
          break;
        case 'error':
          task.reject(new Error(msg.message));
          break;
      }
      pump();
    });
    // A failed spawn or a broken pipe: the exit handler (which always follows) does the cleanup.
    child.on('error', () => {});
    child.on('exit', (code, sig) => {
      const i = slots.indexOf(slot);
      if (i !== -1) slots.splice(i, 1);
      if (slot.task !== null) {
        settle(slot.task);
        slot.task.reject(new Error(`scrub child exited (code ${code ?? 'none'}, signal ${sig ?? 'none'})`));
        slot.task = null;
      }
      if (!closed) {
        slots.push(spawn());
        pump();
      }
    });
    return slot;
  }

  function settle(task: Task): void {
    task.signal?.removeEventListener('abort', task.onAbort);
  }

  function pump(): void {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (slot.task !== null || !slot.child.connected) continue;
      const task = queue.shift()!;
      slot.task = task;
      const input = task.input;
      const req: ChildRequest = isFileTask(input) ? { kind: 'scrubFile', id: task.id, file: input } : { kind: 'scrub', id: task.id, bytes: input };
      slot.child.send(req);
    }
  }

  for (let i = 0; i < size; i++) slots.push(spawn());

  return {
    run(input, signal) {
      return new Promise<WorkerReply>((resolve, reject) => {
        if (closed) return reject(new Error('executor is closed'));
        if (signal?.aborted) return reject(abortedError());
        const task: Task = { id: nextId++, input, resolve, reject, signal, onAbort: () => abort(task) };
        signal?.addEventListener('abort', task.onAbort, { once: true });
        queue.push(task);
        pump();
      });
    },
    queued: () => queue.length,
    async close() {
      closed = true;
      for (const task of queue.splice(0)) {
        settle(task);
        task.reject(new Error('executor is closed'));
      }
      await Promise.all(
        slots.splice(0).map(
          (slot) =>
            new Promise<void>((resolve) => {
              if (slot.child.exitCode !== null || slot.child.signalCode !== null) return resolve();
              slot.child.once('exit', () => resolve());
              if (slot.task !== null) slot.child.kill('SIGKILL');
              else slot.child.disconnect();
            }),
        ),
      );
    },
  };

  function abort(task: Task): void {
    const qi = queue.indexOf(task);
    if (qi !== -1) {
      queue.splice(qi, 1);
    } else {
      // Running: the only way to stop synchronous work in a child is to end the child; its exit
      // handler starts a replacement.
      const slot = slots.find((s) => s.task === task);
      if (slot === undefined) return;
      slot.task = null;
      slot.child.kill('SIGKILL');
    }
    task.reject(abortedError());
  }
}
