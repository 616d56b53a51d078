"""A small sequencing lab: DNA samples by id (S1 to S10, and the reference R1) and tools
to analyse them. Sequences are written 5' to 3' with the letters A, C, G and T (RNA uses U
in place of T); positions count from 1."""

from __future__ import annotations

_SAMPLES = {
    "S1": "TTTCCTCATGCAATTCAAAACCATGTCCGTAATGTAGGCGAAATAGTA",
    "S2": "ATGAACCATTTTACGGAGGATACCAAATTCTGACTCCTTATT",
    "S3": "CAGGACCTAACCTGAGGTAAACCA",
    "S4": "GGTCTCTCCGCCCCCTTATAGATAAAAGCTGGATAGATATTGCACCTAG",
    "R1": "CCAAGTTCAACGGCAGCTGCAATGGAAATAGGCAATGACG",
    "S5": "CGAATGTCAACGGCAGCTGCAACGGATATAAGCAATGACG",
    "S6": "ACAAGTTCAACGGCAGCTGCAATGTAAATAGGCAATGCCG",
    "S7": "TTAAGATACATTGAGCATGCCCGTCATCATTCGTGCTCCTCG",
    "S8": "CAGGTCTTAATTGGCTGAAGTCCCTCTCAAAGCAATGCTGGGCAT",
    "S9": "CCAAGCTTAACGGCAGTTGCAGTGGATATAGGCAATGACG",
    "S10": "CATACCGGCTCATTCTTCATGTGCAACCTATATAATGGGAGAATGTGTACATACGC",
}
_COMPLEMENT = {"A": "T", "T": "A", "C": "G", "G": "C"}
_BASES = "UCAG"
_AMINO = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
_CODONS = {
    a + b + c: _AMINO[16 * i + 4 * j + k]
    for i, a in enumerate(_BASES)
    for j, b in enumerate(_BASES)
    for k, c in enumerate(_BASES)
}


def _dna(sequence: str) -> str:
    text = sequence.strip().upper()
    bad = sorted(set(text) - set("ACGT"))
    if bad:
        raise ValueError(f"Not a DNA sequence: it contains {', '.join(bad)}.")
    return text


def get_sequence(sample_id: str) -> str:
    """The DNA sequence of a sample (S1 to S10, or the reference R1)."""
    key = sample_id.strip().upper()
    if key not in _SAMPLES:
        raise KeyError(f"No sample {sample_id!r}: the samples are {', '.join(_SAMPLES)}.")
    return _SAMPLES[key]


def reverse_complement(sequence: str) -> str:
    """The reverse complement of a DNA sequence (the other strand, read 5' to 3')."""
    return "".join(_COMPLEMENT[base] for base in reversed(_dna(sequence)))


def transcribe(sequence: str) -> str:
    """The RNA transcribed from a DNA sequence (T becomes U)."""
    return _dna(sequence).replace("T", "U")


def translate(rna: str) -> str:
    """The protein an RNA sequence codes for, in one-letter amino-acid codes: codons are
    read from the first base and translation ends at the first stop codon (not shown)."""
    text = rna.strip().upper()
    if set(text) - set("ACGU"):
        raise ValueError("Not an RNA sequence: transcribe() the DNA first.")
    protein = []
    for start in range(0, len(text) - 2, 3):
        amino = _CODONS[text[start : start + 3]]
        if amino == "*":
            break
        protein.append(amino)
    return "".join(protein)


def gc_content(sequence: str) -> float:
    """The share of G and C bases in a DNA sequence, in percent, rounded to 2 decimals."""
    text = _dna(sequence)
    return round(100 * sum(base in "GC" for base in text) / len(text), 2)


def find_motif(sequence: str, motif: str) -> list[int]:
    """The positions (from 1) where a motif starts in a sequence, overlaps included."""
    text, pattern = sequence.strip().upper(), motif.strip().upper()
    if not pattern:
        raise ValueError("The motif is empty.")
    return [i + 1 for i in range(len(text) - len(pattern) + 1) if text.startswith(pattern, i)]


def hamming_distance(first: str, second: str) -> int:
    """The number of positions at which two sequences of the same length differ."""
    a, b = _dna(first), _dna(second)
    if len(a) != len(b):
        raise ValueError(f"The sequences differ in length ({len(a)} and {len(b)}).")
    return sum(x != y for x, y in zip(a, b, strict=True))
