"""An inbox of encoded messages (ids M1 to M12) and the tools to decode them. Ciphers
work on the letters A to Z and leave everything else as it is; Morse code separates
letters with spaces and words with " / "."""

from __future__ import annotations

import base64
import binascii

_INBOX = [
    # id, sender, subject, body
    ("M1", "heron", "Meeting point", "PHHW PH DW WKH ROG PLOO DW QRRQ"),
    ("M2", "kite", "Delivery (urgent)", "RUdESVJCIEVIVCBSRUROVSBTSSBFR0FLQ0FQIEVIVA=="),
    ("M3", "heron", "One word", ".-.. .- -. - . .-. -."),
    ("M4", "kestrel", "Tonight", "7468652063726f777320666c7920736f75746820746f6e69676874"),
    ("M5", "owl", "The plan", "PIKUO WVV OHX WC KJL PDFSQBZ"),
    ("M6", "owl", "Key for the plan", "TWHMNI"),
    ("M7", "kite", "URGENT: cargo", "RlJBUSA0MiBQRU5HUkYgR0IgUUJQWCA3"),
    ("M8", "wren", "Orders", "OLHY ALECZW WPLGPD QCZX RLEP YTYP"),
    ("M9", "heron", "Where (1/2)", "-. --- .-. - ...."),
    ("M10", "heron", "Where (2/2)", "--. .- - ."),
    (
        "M11",
        "wren",
        "Vault, urgent",
        "6447686c49485a686457783049474e765a47556759326868626d646c5a4342766269426d636d6c6b59586b3d",
    ),
    ("M12", "robin", "Lunch", "Lunch at one?"),
]
_MORSE = {
    ".-": "A", "-...": "B", "-.-.": "C", "-..": "D", ".": "E", "..-.": "F", "--.": "G",
    "....": "H", "..": "I", ".---": "J", "-.-": "K", ".-..": "L", "--": "M", "-.": "N",
    "---": "O", ".--.": "P", "--.-": "Q", ".-.": "R", "...": "S", "-": "T", "..-": "U",
    "...-": "V", ".--": "W", "-..-": "X", "-.--": "Y", "--..": "Z", "-----": "0",
    ".----": "1", "..---": "2", "...--": "3", "....-": "4", ".....": "5", "-....": "6",
    "--...": "7", "---..": "8", "----.": "9",
}  # fmt: skip


def _shift(letter: str, by: int) -> str:
    if "A" <= letter <= "Z":
        return chr((ord(letter) - 65 + by) % 26 + 65)
    if "a" <= letter <= "z":
        return chr((ord(letter) - 97 + by) % 26 + 97)
    return letter


def list_messages() -> list[dict[str, str]]:
    """The messages in the inbox, oldest first: each {"id", "sender", "subject"}."""
    return [{"id": id_, "sender": sender, "subject": subject} for id_, sender, subject, _ in _INBOX]


def get_message(message_id: str) -> str:
    """The body of a message, as it arrived (still encoded)."""
    for id_, _, _, body in _INBOX:
        if id_ == message_id.strip().upper():
            return body
    raise KeyError(f"No message {message_id!r}: ids go from M1 to M{len(_INBOX)}.")


def caesar_decode(text: str, shift: int) -> str:
    """Undo a Caesar cipher that shifted each letter forward by `shift` places."""
    return "".join(_shift(char, -int(shift)) for char in text)


def vigenere_decode(text: str, key: str) -> str:
    """Undo a Vigenère cipher with a key of letters; the key advances on letters only."""
    shifts = [ord(char) - 65 for char in key.strip().upper() if "A" <= char <= "Z"]
    if not shifts:
        raise ValueError("The key must contain letters.")
    out, index = [], 0
    for char in text:
        if char.isalpha():
            out.append(_shift(char, -shifts[index % len(shifts)]))
            index += 1
        else:
            out.append(char)
    return "".join(out)


def base64_decode(text: str) -> str:
    """Decode base64 into text."""
    try:
        return base64.b64decode(text.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise ValueError(f"Not base64 text: {error}") from None


def hex_decode(text: str) -> str:
    """Decode hexadecimal digits (two per character) into text."""
    try:
        return bytes.fromhex(text.strip()).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"Not hex-encoded text: {error}") from None


def reverse_text(text: str) -> str:
    """The text written backwards."""
    return text[::-1]


def morse_decode(code: str) -> str:
    """Decode Morse code: letters separated by spaces, words by " / "."""
    words = []
    for word in code.strip().split("/"):
        letters = []
        for symbol in word.split():
            if symbol not in _MORSE:
                raise ValueError(f"{symbol!r} is not a Morse letter.")
            letters.append(_MORSE[symbol])
        words.append("".join(letters))
    return " ".join(words)
