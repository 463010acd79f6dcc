// Text helpers for the chat-template engine: UTF-8 <-> code points and the
// bits of Python's str behaviour the templates observe (whitespace, case,
// repr of str and float). Strings stay UTF-8 everywhere; code-point views are
// made only where Python semantics index by character.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace glint::chat {

// Decoding is lossless: a byte that is not part of valid UTF-8 maps to
// U+DC80+byte (Python's "surrogateescape") and encodes back to that byte.
std::u32string utf8_decode(std::string_view s);
std::string utf8_encode(std::u32string_view s);
void utf8_append(std::string& out, char32_t cp);
std::size_t utf8_length(std::string_view s);

bool py_isspace(char32_t c);      // str.isspace()
bool py_isprintable(char32_t c);  // approximation of str.isprintable() for one char
bool py_isalpha(char32_t c);
bool py_isdigit(char32_t c);
bool py_isalnum(char32_t c);
bool py_islinebreak(char32_t c);  // the separators str.splitlines() honours
char32_t py_lower(char32_t c);    // simple case mapping (ASCII, Latin-1, Latin Ext-A, Greek, Cyrillic)
char32_t py_upper(char32_t c);
bool py_iscased(char32_t c);

std::string py_str_lower(std::string_view s);
std::string py_str_upper(std::string_view s);

// Python's repr() of a str (quotes chosen the way CPython does) and of a float.
std::string py_repr_str(std::string_view s);
std::string py_repr_float(double v);

// Substring search in linear time (long needles would make std::find
// quadratic on hostile input); charges the render's work budget.
std::size_t find_sub(std::string_view hay, std::string_view needle, std::size_t from = 0);
// Last occurrence starting at or before `last_start` (npos: anywhere).
std::size_t rfind_sub(std::string_view hay, std::string_view needle, std::size_t last_start = std::string_view::npos);

// str.rstrip()/lstrip()/strip() with no argument (Unicode whitespace).
std::string_view py_rstrip_ws(std::string_view s);
std::string_view py_lstrip_ws(std::string_view s);

}  // namespace glint::chat
