import { mathSegments, PROTECTED_DOLLAR, protectCurrency } from '../panel/math';

/**
 * Prose as finance and data reports (and the models that summarise them)
 * write it: none of it holds maths.
 */
const MONEY = [
  'Total revenue was **$32,000** (North $18,100, South $13,900).',
  'Q3 revenue rose to $1.2M from $950K, a 26% increase.',
  'The median order value is $48.50; the mean is $61.20.',
  'Prices range from $5-$10 per unit.',
  'Prices range from $5–$10 per unit (en dash).',
  'Budget: $10k/$20k for the two phases.',
  'Costs were US$5,000 (about US$4,600 after the rebate).',
  'Net income: ($1,200) vs ($1,000) last year.',
  'Average ticket $12.40 and $15.10 on weekends; tips add $2 to $3.',
  '| Region | Revenue |\n|---|---|\n| North | $18,100 |\n| South | $13,900 |',
  '- North: $18,100\n- South: $13,900\n- Total: $32,000',
  'Expected loss = $2.3M; VaR(95%) = $4.1M.',
  'The $5 fee applies to orders under $25.',
  'Saved \\$200 a month, so \\$2,400 a year.',
  'Spend per user fell from $3.10 to $2.95 ($0.15 less).',
  'Profit margin: 23% on $4.5B revenue; EBITDA $1.1B.',
  'Bid $99.99, ask $100.01: a spread of $0.02.',
  'A salary of $85,000–$95,000 plus a $5,000 bonus.',
  'Refunds ($340) exceeded chargebacks ($120).',
  'It costs 5$ here and 6$ there.'
];

describe('protectCurrency: money stays money', () => {
  it.each(MONEY)('finds no maths in %p', text => {
    expect(mathSegments(text)).toEqual([]);
  });

  it.each(MONEY)('leaves no dollar that a renderer could pair in %p', text => {
    const out = protectCurrency(text);
    // Every `$` left is inside a protected span or is the only one.
    const bare = out.split(PROTECTED_DOLLAR).join('').match(/\$/g) ?? [];
    expect(bare.length).toBeLessThanOrEqual(1);
  });

  it('writes each dollar of a sentence with several as a span of its own', () => {
    expect(protectCurrency('**$32,000** (North $18,100)')).toBe(
      `**${PROTECTED_DOLLAR}32,000** (North ${PROTECTED_DOLLAR}18,100)`
    );
  });

  it('leaves a single dollar as it is', () => {
    expect(protectCurrency('It costs $5.')).toBe('It costs $5.');
    expect(protectCurrency('It costs \\$5.')).toBe('It costs \\$5.');
  });
});

describe('protectCurrency: maths stays maths', () => {
  it('keeps $…$ that cannot be money', () => {
    expect(
      mathSegments('the $x$ axis, $\\alpha = 0.05$ and $x$-values')
    ).toEqual(['$x$', '$\\alpha = 0.05$', '$x$']);
  });

  it('keeps display maths', () => {
    expect(mathSegments('$$\\sum_i x_i$$')).toEqual(['$$\\sum_i x_i$$']);
  });

  it('writes \\(…\\) and \\[…\\] as the maths JupyterLab typesets', () => {
    expect(
      protectCurrency('so \\( \\bar{x} = 4 \\) and \\[y = mx + b\\]')
    ).toBe('so $\\bar{x} = 4$ and $$y = mx + b$$');
  });

  it('protects money next to real maths', () => {
    expect(
      protectCurrency('Revenue $32,000 (North $18,100) grows as $r^2$.')
    ).toBe(
      `Revenue ${PROTECTED_DOLLAR}32,000 (North ${PROTECTED_DOLLAR}18,100) grows as $r^2$.`
    );
    expect(protectCurrency('A $5 fee and $x$.')).toBe(
      `A ${PROTECTED_DOLLAR}5 fee and $x$.`
    );
  });

  it('never pairs dollars across paragraphs', () => {
    expect(mathSegments('Costs $5\n\nand y$ more')).toEqual([]);
  });
});

describe('protectCurrency: code is left alone', () => {
  it('keeps code spans and fenced code', () => {
    const text =
      'Use `df["$x"]` and `$y`.\n```python\nprint("$5 and $6")\n```\nCost $5 and $6.';
    const out = protectCurrency(text);
    expect(out).toContain('`df["$x"]` and `$y`');
    expect(out).toContain('print("$5 and $6")');
    expect(out).toContain(
      `Cost ${PROTECTED_DOLLAR}5 and ${PROTECTED_DOLLAR}6.`
    );
  });
});
