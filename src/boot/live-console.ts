/**
 * The boot test's view of the console until the login prompt: the latest line for a terminal's
 * live view (boot-console events, at most two a second, cleaned of escape sequences), and Enter
 * at the boot menu's countdown, which boots the default entry without waiting out the timeout a
 * person at the machine gets.
 */
import type { WriteStream } from "node:fs";
import type { Event } from "../report/events.js";
import type { InteractiveChild } from "../sandbox/interactive.js";
import { bootMenuPrompt } from "./boot-menu.js";
import type { BootPhaseClock } from "./boot-phases.js";
import { ConsoleCleaner } from "./console-text.js";

export interface LiveConsole {
  /** Ends the live view (the login prompt was reached, or the test is over). */
  stop(): void;
}

/** Watches `child`'s console; the menu is left alone when `answerMenu` is false. */
export function watchLiveConsole(
  child: InteractiveChild,
  clock: BootPhaseClock,
  log: WriteStream,
  emit: (event: Event) => void,
  answerMenu: boolean,
): LiveConsole {
  const started = Date.now();
  const cleaner = new ConsoleCleaner();
  let partial = "";
  let last = 0;
  let watching = true;
  let menuAnswered = !answerMenu;
  child.onOutput((chunk) => {
    if (!watching) return;
    const lines = (partial + cleaner.push(chunk.toString("utf8"))).split("\n");
    partial = (lines.pop() ?? "").slice(-1000);
    if (!menuAnswered && clock.current === "loader") {
      const menu = bootMenuPrompt([...lines, partial].join("\n"));
      if (menu !== undefined) {
        menuAnswered = true;
        child.write("\r");
        log.write(`\n# substrate: pressed Enter at the ${menu} menu\n`);
      }
    }
    const latest = lines.reverse().find((l) => l.trim() !== "");
    const now = Date.now();
    if (latest === undefined || now - last < 500) return;
    last = now;
    emit({
      type: "boot-console",
      line: latest.trim().slice(0, 300),
      phase: clock.current,
      elapsedMs: now - started,
    });
  });
  return {
    stop: () => {
      watching = false;
    },
  };
}
