import {
  escapeHtmlInMarkdown,
  prose,
  settledMarkdown,
  splitReply,
  streamingView
} from '../panel/text';

describe('splitReply', () => {
  it('separates prose, an execute block and a solution', () => {
    expect(
      splitReply(
        'Loading.\n<execute>\nx = 1\n</execute>\nThen <solution>42</solution>'
      )
    ).toEqual([
      { kind: 'prose', text: 'Loading.\n', closed: true },
      { kind: 'code', text: '\nx = 1\n', closed: true },
      { kind: 'prose', text: '\nThen ', closed: true },
      { kind: 'solution', text: '42', closed: true }
    ]);
  });

  it('treats python fences as code and other fences as prose', () => {
    const segments = splitReply(
      'A\n```python\nprint(1)\n```\nB\n```text\nnot code\n```\n'
    );
    expect(segments.map(s => s.kind)).toEqual(['prose', 'code', 'prose']);
    expect(segments[1].text).toBe('print(1)\n');
    expect(segments[2].text).toContain('```text\nnot code\n```');
  });

  it('marks a block still streaming as open', () => {
    expect(splitReply('Hi <execute>import pan')).toEqual([
      { kind: 'prose', text: 'Hi ', closed: true },
      { kind: 'code', text: 'import pan', closed: false }
    ]);
  });
});

describe('splitReply, the shapes real models write', () => {
  it('reads every action tag, with attributes', () => {
    for (const tag of ['execute', 'execute_ipython', 'execute_bash']) {
      expect(
        splitReply(`Go.\n<${tag} replace="c1">\nls\n</${tag}>`)[1]
      ).toEqual({ kind: 'code', text: '\nls\n', closed: true });
    }
    expect(splitReply('<code>\nx = 1\n</code>')[0].kind).toBe('code');
    expect(splitReply('Call <code>df.head()</code> now.')).toEqual([
      { kind: 'prose', text: 'Call <code>df.head()</code> now.', closed: true }
    ]);
  });

  it('keeps reasoning out of the prose', () => {
    expect(prose('<think>Maybe <execute>x</execute></think>It is 42.')).toBe(
      'It is 42.'
    );
    expect(prose('<thinking>still going')).toBe('');
    expect(prose('Sure. <thi')).toBe('Sure.');
  });

  it('shows bare fences, and fences in a reply with a tag, as prose', () => {
    const bare = 'Output:\n```\none two\n```\n';
    expect(prose(bare)).toBe(bare.trim());
    const quoted =
      '<execute>\nx = 1\n</execute>\nThe fix:\n```python\ny = 2\n```';
    expect(splitReply(quoted).map(s => s.kind)).toEqual(['code', 'prose']);
  });
});

describe('prose', () => {
  it('drops the action and the answer', () => {
    expect(
      prose('I will compute it.\n\n<execute>\n1+1\n</execute>\n\n\n')
    ).toBe('I will compute it.');
    expect(prose('<solution>2</solution>')).toBe('');
  });

  it('hides a tag cut by the stream', () => {
    expect(prose('Let me check <exec')).toBe('Let me check');
    expect(prose('Fixing <execute replace="c1')).toBe('Fixing');
    expect(prose('a < b')).toBe('a < b');
  });

  it('drops an action whose tag has attributes', () => {
    expect(
      prose('Retitled.\n<execute replace="c3a1">\nplot()\n</execute>')
    ).toBe('Retitled.');
    expect(streamingView('Kept.\n<execute new>\nx = 1\n</execute>').code).toBe(
      'x = 1\n'
    );
  });
});

describe('streamingView', () => {
  it('shows the code and the answer being written', () => {
    expect(streamingView('Plotting.\n<execute>\nplt.plot(x)\n</exe')).toEqual({
      prose: 'Plotting.',
      code: 'plt.plot(x)\n',
      solution: null
    });
    expect(streamingView('<solution>The answer is')).toEqual({
      prose: '',
      code: null,
      solution: 'The answer is'
    });
  });
});

describe('escapeHtmlInMarkdown', () => {
  it('turns raw HTML into text', () => {
    expect(
      escapeHtmlInMarkdown('<img src=x onerror=alert(1)> & <script>x</script>')
    ).toBe('&lt;img src=x onerror=alert(1)> &amp; &lt;script>x&lt;/script>');
  });

  it('leaves code spans and fenced blocks alone', () => {
    expect(escapeHtmlInMarkdown('use `a<b` here <b>')).toBe(
      'use `a<b` here &lt;b>'
    );
    const fenced = '```html\n<div>&</div>\n```\n<i>after</i>';
    expect(escapeHtmlInMarkdown(fenced)).toBe(
      '```html\n<div>&</div>\n```\n&lt;i>after&lt;/i>'
    );
  });

  it('does not take unbalanced backticks for a code span', () => {
    expect(escapeHtmlInMarkdown('``<img onerror=x>`')).toBe(
      '``&lt;img onerror=x>`'
    );
  });

  it('turns images into links, so that showing text fetches nothing', () => {
    expect(escapeHtmlInMarkdown('see ![chart](https://x.test/?q=secret)')).toBe(
      'see &#33;[chart](https://x.test/?q=secret)'
    );
    expect(escapeHtmlInMarkdown('\\![a][ref] and `![code](span)`')).toBe(
      '\\&#33;[a][ref] and `![code](span)`'
    );
  });

  it('keeps markdown syntax such as quotes and emphasis', () => {
    expect(escapeHtmlInMarkdown('> quoted *text*')).toBe('> quoted *text*');
  });
});

describe('settledMarkdown', () => {
  it('settles complete paragraphs and keeps the one being written', () => {
    expect(settledMarkdown('# Title\n\nSome **bold** te')).toEqual({
      settled: '# Title',
      tail: 'Some **bold** te'
    });
    expect(settledMarkdown('just started')).toEqual({
      settled: '',
      tail: 'just started'
    });
  });

  it('keeps an unfinished code block in the tail', () => {
    expect(settledMarkdown('Intro\n\n```text\nline\n\nmore')).toEqual({
      settled: 'Intro',
      tail: '```text\nline\n\nmore'
    });
  });
});
