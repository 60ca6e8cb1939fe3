/**
 * A scripted stand-in for a VM's serial console: tests push console output, and a small shell
 * emulator answers login and the engine's marker-wrapped commands (with echo and noise), so the
 * console engine's logic is tested without QEMU.
 */
import type { ConsoleTransport } from "../../../src/boot/console.js";
import { POWEROFF_COMMAND } from "../../../src/boot/verify-iso.js";

/** How the fake shell answers one command. */
export interface FakeReply {
  readonly output: string;
  readonly status: number;
  /** Console noise printed in the middle of the output (kernel or systemd lines). */
  readonly noise?: string;
  /** Never answer (a hanging command). */
  readonly hang?: boolean;
}

const WRAPPED =
  /^echo "@@SUB""STRATE:B:(\S+)@@"; \{ (.*) ; \} <\/dev\/null 2>&1; echo "@@SUB""STRATE:E:\S+:\$\?@@"$/;

/** The fake console. */
export class FakeConsole implements ConsoleTransport {
  readonly written: string[] = [];
  readonly commands: string[] = [];
  #data: ((text: string) => void)[] = [];
  #close: (() => void)[] = [];
  #typed = "";
  #state: "boot" | "login" | "password" | "shell" = "boot";
  /** Replies by command text; unknown commands print nothing and exit 0. */
  replies = new Map<string, FakeReply>();
  /** Whether login asks for a password. */
  askPassword = true;
  /** A stalled guest: typed lines are echoed, nothing answers them. */
  stalled = false;
  /** Whether the password is refused ("Login incorrect", then a new prompt). */
  rejectPassword = false;
  /** Chunk size used to split output (tests that escape sequences survive splitting). */
  chunk = 7;

  write(text: string): void {
    this.written.push(text);
    this.#typed += text;
    let i: number;
    while ((i = this.#typed.indexOf("\r")) >= 0) {
      const line = this.#typed.slice(0, i);
      this.#typed = this.#typed.slice(i + 1);
      this.#line(line);
    }
  }
  onData(listener: (text: string) => void): void {
    this.#data.push(listener);
  }
  onClose(listener: () => void): void {
    this.#close.push(listener);
  }

  /** Emits console output, split into small chunks, asynchronously. */
  emit(text: string): void {
    for (let i = 0; i < text.length; i += this.chunk) {
      const part = text.slice(i, i + this.chunk);
      setImmediate(() => {
        for (const l of this.#data) l(part);
      });
    }
  }

  /** Ends the console (the VM exited). */
  close(): void {
    setImmediate(() => {
      for (const l of this.#close) l();
    });
  }

  /** Shows the login prompt. */
  loginPrompt(): void {
    this.#state = "login";
    this.emit("\r\nDebian GNU/Linux 12 roflmaOS ttyS0\r\n\r\nroflmaOS login: ");
  }

  #line(line: string): void {
    // The terminal echoes what is typed (not at a password prompt).
    if (this.#state !== "password") this.emit(line + "\r\n");
    if (this.stalled) return;
    switch (this.#state) {
      case "boot":
        return;
      case "login":
        if (this.askPassword) {
          this.#state = "password";
          this.emit("Password: ");
        } else {
          this.#state = "shell";
          this.emit("Linux roflmaOS 6.1.0-13-amd64\r\n\x1b[01;31mroot@roflmaOS\x1b[00m:~# ");
        }
        return;
      case "password":
        if (this.rejectPassword) {
          this.emit("\r\nLogin incorrect\r\n");
          this.loginPrompt();
          return;
        }
        this.#state = "shell";
        this.emit("\r\nLast login: never\r\nroot@roflmaOS:~# ");
        return;
      case "shell": {
        const m = WRAPPED.exec(line);
        if (m === null) {
          if (line === POWEROFF_COMMAND) this.close();
          this.emit("root@roflmaOS:~# ");
          return;
        }
        const [, tag = "", cmd = ""] = m;
        this.commands.push(cmd);
        const reply = this.replies.get(cmd) ?? { output: "", status: 0 };
        if (reply.hang === true) return;
        const out = reply.output === "" ? "" : reply.output.replace(/\n/g, "\r\n") + "\r\n";
        const noise = reply.noise === undefined ? "" : reply.noise + "\r\n";
        this.emit(
          `@@SUBSTRATE:B:${tag}@@\r\n${noise}${out}@@SUBSTRATE:E:${tag}:${reply.status}@@\r\nroot@roflmaOS:~# `,
        );
        return;
      }
    }
  }
}
