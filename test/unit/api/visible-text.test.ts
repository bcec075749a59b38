// ↔ main/api/visible-text.ts: what the CLI and the window show of text from outside.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { visibleText } from '../../../main/api/visible-text.ts';

describe('visibleText', () => {
  it('shows a right-to-left override, an isolate, ESC, NUL and a newline as \\u{…}', () => {
    assert.equal(visibleText('moc.\u202eelgoog'), 'moc.\\u{202E}elgoog');
    assert.equal(visibleText('a\u2066b\u2069'), 'a\\u{2066}b\\u{2069}');
    assert.equal(visibleText('x\u001b[2J\u0000\nlint info: ok'), 'x\\u{1B}[2J\\u{0}\\u{A}lint info: ok');
  });

  it('leaves letters of every script, accents and the implicit direction marks as they are', () => {
    for (const text of ['M\u00fcller & S\u00f6hne GmbH', '\u0634\u0631\u0643\u0629\u200f', '\u65e5\u672c', '\u{1F512} lock']) assert.equal(visibleText(text), text);
  });
});
