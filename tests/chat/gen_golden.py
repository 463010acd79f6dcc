#!/usr/bin/env python3
"""Regenerates golden.json: small templates rendered by Python Jinja2 the way
Hugging Face renders chat templates (ImmutableSandboxedEnvironment with
trim_blocks, lstrip_blocks and loopcontrols; raise_exception; strftime_now
fixed to 2026-01-02). chat_golden_test.cpp renders each case with glint and
expects the same bytes, or the same "Type: message" error.

Usage: python3 tests/chat/gen_golden.py   (needs jinja2 >= 3.1)
"""
import datetime
import json
import os

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

MSGS = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi <there> & 'you'"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "What's 2+2?"},
]
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Get the weather",
                                      "parameters": {"type": "object",
                                                     "properties": {"city": {"type": "string", "description": "City"},
                                                                    "unit": {"type": "string", "enum": ["c", "f"]}},
                                                     "required": ["city"]}}},
]
TOOL_MSGS = MSGS[:2] + [
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1234", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "content": "{\"temp\": 21}", "tool_call_id": "call_1234"},
]

# (name, template, context)
CASES = [
    # --- whitespace control, trim_blocks, lstrip_blocks ---
    ("ws_trim_lstrip", "a\n  {% if 1 %}\n  x\n  {% endif %}\nb\n", {}),
    ("ws_inline_block", "a  {% if 1 %}x{% endif %}  \n  {# c #}\nb", {}),
    ("ws_var_not_lstripped", "a\n  {{ 1 }}\n  {%+ if 1 %}y{% endif +%}\nz", {}),
    ("ws_minus_everywhere", "  {%- if 1 -%}  \n x {{- 2 -}} \n y {#- c -#}  z\n\n{% endif %}", {}),
    ("ws_raw", "{% raw %}\n  {{ x }}{% endraw %}\n b", {}),
    ("ws_for_lines", "{% for i in [1,2] %}\n  {{ i }}\n{% endfor %}\n", {}),
    ("ws_crlf", "x\r\n  {% if 1 %}\r\ny\r\n{% endif %}\r\n", {}),
    ("ws_trailing_newlines", "a\n\n", {}),
    ("ws_tabs_lstrip", "x\n\t \t{% if true %}\n\ty\n\t{% endif %}\nz", {}),
    ("ws_comment_trim", "a\n{# note #}\nb\n  {#- x #}\nc", {}),
    ("ws_block_after_text", "text {% if 1 %}\nin{% endif %}\nout", {}),
    ("ws_minus_var_newlines", "a\n\n{{- 'b' -}}\n\nc", {}),
    ("ws_plus_block_end", "{% if 1 +%}\nkept{% endif %}", {}),
    ("ws_start_of_template", "   {% if 1 %}x{% endif %}", {}),
    ("ws_lstrip_after_var", "{{ 'a' }}   {% if 1 %}b{% endif %}", {}),
    ("ws_nested", "{% for m in messages %}\n    {% if m.role == 'user' %}\n        U:{{ m.content }}\n    {% else %}\n        O:{{ m.content }}\n    {% endif %}\n{% endfor %}", {"messages": MSGS}),
    ("ws_unicode_space_minus", "a\u00a0\u2003{{- 'b' }}", {}),
    ("ws_comment_minus_plus", "a {#- x +#}\n b", {}),
    ("ws_set_block_trim", "{% set x %}\n  body\n{% endset %}[{{ x }}]", {}),
    # --- literals and printing ---
    ("lit_numbers", "{{ 1 }} {{ -1 }} {{ 1.5 }} {{ 1e3 }} {{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1.0 }} {{ 2.50 }}", {}),
    ("lit_float_repr", "{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1/3 }} {{ 2**0.5 }} {{ -0.0 }} {{ 123456789.123456789 }}", {}),
    ("lit_strings", "{{ 'a\\nb\\tc\\\\d\\'e\\x41\\u00e9\\U0001F600\\q' }}|{{ \"dq'\" }}|{{ 'adj' 'acent' }}", {}),
    ("lit_multiline_string", "{{ 'line1\nline2' }}", {}),
    ("lit_containers", "{{ [1, 'a', none, true, false, 1.0, {'k': (1,)}] }}{{ ('a',) }}{{ () }}{{ (1,2) }}{{ {} }}{{ [] }}", {}),
    ("lit_repr_quotes", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'nl\\n', 'tab\\t', '\\x00', 'é', '\\u200b', '\\xa0'] }}", {}),
    ("lit_none_bool", "{{ none }} {{ None }} {{ true }} {{ True }} {{ false }}", {}),
    ("lit_dict_keys", "{{ {1: 'a', true: 'b', 1.0: 'c', 'x': 1, none: 2} }}", {}),
    ("lit_trailing_commas", "{{ [1,2,] }}{{ {'a':1,} }}{{ (1,) }}", {}),
    ("print_tuple_in_var", "{{ 1, 2 }}", {}),
    ("print_json_values", "{{ v }}", {"v": {"a": [1, 2.5, None, True, "x"], "b": {}}}),
    ("print_markup_in_list", "{{ ['<'|safe, '<'|e] }}", {}),
    # --- operators ---
    ("op_arith", "{{ 7 + 3 }} {{ 7 - 10 }} {{ 7 * 3 }} {{ 7 / 2 }} {{ 8 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }}", {}),
    ("op_precedence", "{{ 2 + 3 * 4 }} {{ (2 + 3) * 4 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ 10 - 2 - 3 }} {{ 'a' ~ 1 + 2 }} {{ 'a' ~ 2 * 3 }}", {}),
    ("op_concat_binds_tighter", "{{ 1 + 2 ~ 3 + 4 }}", {}),
    ("op_filter_binds_tight", "{{ -3|abs }} {{ 'a' + 'b'|upper }} {{ 1 + [1,2]|length }} {{ not [] | length }}", {}),
    ("op_string", "{{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ 3 * 'x' }} {{ 'ab' ~ 1 ~ none ~ true }} {{ [1] * 2 }} {{ [1] + [2] }} {{ (1,) + (2,) }}", {}),
    ("op_compare", "{{ 1 < 2 }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }} {{ 1 != 1 }} {{ 2 >= 2 }} {{ 'B' < 'a' }} {{ none == none }} {{ [1,[2]] == [1,[2]] }} {{ (1,2) == [1,2] }} {{ {'a':1,'b':2} == {'b':2,'a':1} }}", {}),
    ("op_in", "{{ 'a' in 'cat' }} {{ 1 in [1,2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1,2] }} {{ 'x' not in 'xyz' }} {{ 1.0 in [1] }} {{ 'a' in undefined_thing }}", {}),
    ("op_logic", "{{ 1 and 2 }} {{ 0 and 2 }} {{ 0 or '' }} {{ '' or 'x' }} {{ none or [] }} {{ not 0 }} {{ not not 1 }} {{ 1 and none }}", {}),
    ("op_condexpr", "{{ 'y' if 1 else 'n' }} {{ 'y' if 0 else 'n' }} {{ 'y' if 0 }}|{{ 'a' if 0 else 'b' if 0 else 'c' }} {{ (1 if false) is defined }}", {}),
    ("op_bool_arith", "{{ true + true }} {{ true * 3 }} {{ 1 + 1.5 }} {{ true / 2 }} {{ -true }}", {}),
    ("op_mod_format", "{{ '%s and %s' % ('a', 1) }} {{ '%d%%' % 50 }} {{ '%05.2f|%-6s|%x|%r' % (3.14159, 'ab', 255, 'q') }} {{ '%(a)s-%(b)d' % {'a': 'x', 'b': 2} }}", {}),
    # --- subscripts, slices, attributes ---
    ("sub_basic", "{{ l[0] }}{{ l[-1] }}{{ d['k'] }}{{ d.k }}{{ l.0 }}{{ s[1] }}{{ s[-1] }}", {"l": [1, 2, 3], "d": {"k": "v"}, "s": "héllo"}),
    ("sub_slices", "{{ l[1:] }}{{ l[:-1] }}{{ l[::-1] }}{{ l[::2] }}{{ l[1:2] }}{{ l[5:] }}{{ l[-100:100] }}{{ s[1:3] }}{{ s[::-1] }}{{ l[3:0:-1] }}", {"l": [1, 2, 3, 4], "s": "héllo"}),
    ("sub_missing", "[{{ l[10] }}][{{ d.nope }}][{{ d['nope'] }}][{{ none.x }}][{{ s.foo }}][{{ (l[10]) is defined }}]", {"l": [1], "d": {}, "s": "x"}),
    ("sub_dict_method_shadow", "{{ d.items is defined }} {{ (d|items|list)[0][0] }} {{ d['items'] }} {{ d.get('items') }} {{ d.keys() | list }}", {"d": {"items": "I", "b": 2}}),
    ("sub_nested_json", "{{ t[0].function.parameters.properties.city.description }} {{ t[0]['function']['name'] }}", {"t": TOOLS}),
    # --- tests ---
    ("tests_types", "{% for v in [1, 1.5, 'a', none, true, [1], {'a':1}, (1,)] %}{{ v is number }}{{ v is integer }}{{ v is float }}{{ v is string }}{{ v is none }}{{ v is boolean }}{{ v is mapping }}{{ v is iterable }}{{ v is sequence }}{{ v is true }}{{ v is false }}|{% endfor %}", {}),
    ("tests_undefined", "{{ x is defined }}{{ x is undefined }}{{ x is iterable }}{{ x is sequence }}{{ x is none }}{{ x is string }}{{ x is mapping }}", {}),
    ("tests_compare", "{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(2) }}{{ 'a' is eq 'a' }}{{ 1 is equalto 2 }}{{ 1 is ne 2 }}{{ 1 is lt 2 }}{{ 1 is gt 2 }}{{ 2 is ge 2 }}{{ 2 is le 1 }}{{ 1 is in [1] }}{{ 'ab' is lower }}{{ 'AB' is upper }}{{ 'trim' is filter }}{{ 'odd' is test }}{{ 'zz' is filter }}", {}),
    ("tests_not", "{{ x is not defined }}{{ 1 is not string }}{{ not x is defined }}", {}),
    ("tests_callable", "{{ range is callable }}{{ 'a'.upper is callable }}{{ 1 is callable }}{{ none is sameas none }}{{ true is sameas true }}", {}),
    # --- filters ---
    ("f_trim_case", "[{{ '  a b  '|trim }}][{{ 'xxaxx'|trim('x') }}][{{ 'hello world'|title }}][{{ 'hello-wORLD (x)'|title }}][{{ 'aBc DEF'|capitalize }}][{{ 'aBc'|upper }}][{{ 'AbC'|lower }}]", {}),
    ("f_default", "{{ x|default('d') }}{{ ''|default('e', true) }}{{ none|default('f') }}{{ ''|default('g') }}{{ 0|d('h', true) }}{{ x|default }}", {}),
    ("f_length", "{{ 'héllo'|length }}{{ [1,2]|length }}{{ {'a':1}|length }}{{ x|length }}{{ 'ab'|count }}", {}),
    ("f_join", "{{ [1,2,3]|join }}|{{ ['a','b']|join(', ') }}|{{ users|join(', ', attribute='name') }}|{{ 'abc'|join('-') }}", {"users": [{"name": "x"}, {"name": "y"}]}),
    ("f_first_last", "{{ [1,2,3]|first }}{{ [1,2,3]|last }}{{ 'abc'|first }}{{ 'abc'|last }}{{ {'a':1,'b':2}|first }}[{{ []|first }}]{{ ([]|first) is defined }}", {}),
    ("f_replace", "{{ 'aaa'|replace('a','b') }} {{ 'aaa'|replace('a','b',2) }} {{ 'abc'|replace('','-') }} {{ 5|replace('5','6') }}", {}),
    ("f_list_items", "{{ 'ab'|list }}{{ {'b':1,'a':2}|items|list }}{{ {'b':1,'a':2}|list }}{{ (1,2)|list }}{{ x|items|list }}", {}),
    ("f_sort", "{{ ['b','A','c']|sort }}{{ ['b','A','c']|sort(case_sensitive=true) }}{{ [3,1,2]|sort(reverse=true) }}{{ users|sort(attribute='age')|map(attribute='n')|join }}{{ users|sort(attribute='age,n')|map(attribute='n')|join }}", {"users": [{"n": "a", "age": 3}, {"n": "b", "age": 1}, {"n": "c", "age": 3}]}),
    ("f_dictsort", "{{ {'b':1,'a':2,'C':0}|dictsort }}{{ {'b':1,'a':2}|dictsort(by='value') }}{{ {'b':1,'a':2}|dictsort(reverse=true) }}", {}),
    ("f_unique", "{{ ['a','A','b','a']|unique|list }}{{ ['a','A']|unique(case_sensitive=true)|list }}{{ [1,1.0,2]|unique|list }}", {}),
    ("f_map_select", "{{ [1,2,3]|map('string')|join('-') }}{{ [{'a':1},{'a':2}]|map(attribute='a')|list }}{{ [{'a':1},{}]|map(attribute='a', default=0)|list }}{{ [1,2,3,4]|select('odd')|list }}{{ [1,2,3,4]|reject('odd')|list }}{{ [1,0,none,'a']|select|list }}{{ ['a','bb']|map('upper')|list }}{{ [1,2]|map('default', 5)|list }}", {}),
    ("f_selectattr", "{{ t|selectattr('type','equalto','function')|list|length }}{{ t|rejectattr('type','equalto','function')|list|length }}{{ m|selectattr('role','equalto','user')|map(attribute='content')|join('|') }}{{ m|selectattr('tool_calls','defined')|list|length }}{{ m|selectattr('content')|list|length }}", {"t": TOOLS, "m": TOOL_MSGS}),
    ("f_select_falsy", "{{ none|selectattr('a')|list }}{{ none|map('upper')|list }}{{ ''|select|list }}", {}),
    ("f_numbers", "{{ -3|abs }}{{ -2.5|abs }}{{ 2.5|round }}{{ 3.5|round }}{{ 2.675|round(2) }}{{ 3|round }}{{ 2.5|round(0,'floor') }}{{ -2.5|round(0,'ceil') }}{{ 1234.5|round(-2) }}{{ 15|round(-1) }}{{ 25|round(-1) }}", {}),
    ("f_int_float", "{{ '3.7'|int }}{{ 'x'|int }}{{ 'x'|int(7) }}{{ '0x1A'|int(base=16) }}{{ ' 42 '|int }}{{ 3.9|int }}{{ -3.9|int }}{{ '3.5'|float }}{{ 'x'|float }}{{ '1_000'|int }}{{ true|int }}{{ none|int }}{{ '1e3'|float }}{{ '  -7 '|int }}{{ '0b11'|int(base=0) }}", {}),
    ("f_string_safe", "{{ 1|string }}{{ none|string }}{{ [1]|string }}{{ x|string }}|{{ ('<'|safe + '<') }} {{ '<' + ('a'|safe) }} {{ ('<'|safe) ~ '<' }} {{ '<'|e }} {{ '<'|e|e }} {{ '&'|forceescape }}", {}),
    ("f_markup_ops", "{{ ('a'|safe * 2) }} {{ ('<b>'|safe)[1:] }} {{ ('a'|safe).replace('a', '<') }} {{ ('x'|safe).join(['<', '>']) }} {{ '%s'|safe % '<' }} {{ ('a<'|safe).upper() }} {{ ('<a>'|safe|trim) + '&' }}", {}),
    ("f_indent", "{{ 'a\nb'|indent(2) }}|{{ 'a\n\nb\n'|indent(2, true) }}|{{ 'a\n\nb'|indent(2, blank=true) }}|{{ 'a\nb'|indent('> ') }}|{{ 'a\r\nb\x0bc'|indent }}|{{ ''|indent(first=true) }}", {}),
    ("f_center_trunc_wc", "[{{ 'ab'|center(7) }}][{{ 'foo bar baz qux'|truncate(9) }}][{{ 'foo bar baz qux'|truncate(9, true) }}][{{ 'foo bar baz'|truncate(20) }}][{{ 'a b, c!'|wordcount }}]", {}),
    ("f_misc", "{{ [1,2,3]|sum }}{{ [{'v':1},{'v':2}]|sum(attribute='v') }}{{ [1.5,2]|sum(start=1) }}{{ [3,1,2]|max }}{{ [3,1,2]|min }}{{ ['b','A']|max }}{{ [1,2,3]|reverse|list }}{{ 'abc'|reverse }}{{ [1,2,3,4,5]|batch(2)|list }}{{ [1,2,3,4,5]|batch(2,'x')|list }}{{ [1,2,3,4,5]|slice(2)|list }}", {}),
    ("f_format", "{{ '%s-%s'|format('a', 1) }} {{ '%(x)s'|format(x=5) }} {{ '%5.1f|%-4d|%+d'|format(3.14159, 7, 3) }}", {}),
    ("f_attr", "{{ d|attr('k') }}[{{ d|attr('zz') }}]{{ (d|attr('items'))() | list }}", {"d": {"k": 1}}),
    ("f_tojson", "{{ v|tojson }}|{{ v|tojson(indent=2) }}|{{ 'é\u2028<>&\\'\"\\\\\\n'|tojson }}|{{ [1.0, 1e100, none, true, (1,2)]|tojson }}|{{ {}|tojson(indent=4) }}|{{ [[]]|tojson(indent=1) }}", {"v": {"b": 1, "a": [1, {"z": None, "y": "s"}], "c": "<x>"}}),
    ("f_tojson_tools", "{% for t in tools %}{{ t|tojson }}\n{{ t|tojson(indent=4) }}{% endfor %}", {"tools": TOOLS}),
    ("f_tojson_unicode", "{{ ['日本語', '\U0001F600', '\x7f']|tojson }}", {}),
    # --- string methods ---
    ("m_split_strip", "{{ 'a,b,,c'.split(',') }}{{ '  a  b '.split() }}{{ 'a b c'.split(' ', 1) }}{{ 'a b c'.rsplit(' ', 1) }}{{ ' x '.strip() }}|{{ 'xxaxx'.strip('x') }}{{ 'xxa'.lstrip('x') }}{{ 'axx'.rstrip('x') }}{{ '  a b  '.split(none, 1) }}{{ '  a b  '.rsplit(none, 1) }}{{ 'a\nb\r\nc'.splitlines() }}", {}),
    ("m_case", "{{ 'hello wORLD'.title() }}{{ \"they're\".title() }}{{ 'aBC'.capitalize() }}{{ 'Ab'.swapcase() }}{{ 'ß'.upper() }}{{ 'ÀÉ'.lower() }}{{ 'abc'.upper() }}", {}),
    ("m_find", "{{ 'hello'.startswith('he') }}{{ 'hello'.endswith(('x','lo')) }}{{ 'hello'.find('l') }}{{ 'hello'.rfind('l') }}{{ 'hello'.find('z') }}{{ 'hello'.count('l') }}{{ 'hello'.index('e') }}{{ 'hello'.startswith('l', 2) }}", {}),
    ("m_misc", "{{ 'a-b'.replace('-', '+') }}{{ ','.join(['a','b']) }}{{ 'ab'.center(6, '*') }}{{ 'ab'.ljust(4, '.') }}{{ 'ab'.rjust(4) }}{{ '42'.zfill(5) }}{{ '-4'.zfill(4) }}{{ 'a=b=c'.partition('=') }}{{ 'a=b=c'.rpartition('=') }}{{ 'prefix_x'.removeprefix('prefix_') }}{{ '123'.isdigit() }}{{ 'ab1'.isalnum() }}{{ ' '.isspace() }}{{ 'ab'.isalpha() }}{{ 'ab'.islower() }}{{ 'AB'.isupper() }}", {}),
    ("m_format", "{{ '{} {}'.format('a', 1) }} {{ '{1}{0}'.format('a','b') }} {{ '{x}!'.format(x=3) }} {{ '{:>5}|{:<4}|{:^5}|{:05d}|{:.2f}|{:,}|{:x}|{!r}'.format('a','b','c',42,3.14159,1234567,255,'q') }} {{ '{{literal}}'.format() }} {{ '{0[a]} {1.k}'.format({'a': 1}, {'k': 2}) }}", {}),
    ("m_dict", "{{ d.get('a') }}{{ d.get('z') }}{{ d.get('z', 0) }}{{ d.keys()|list }}{{ d.values()|list }}{{ d.items()|list }}{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {"d": {"a": 1, "b": [2]}}),
    ("m_list", "{{ [1,2,1].count(1) }}{{ [1,2,3].index(2) }}{{ (1,2).count(2) }}", {}),
    # --- loops ---
    ("loop_vars", "{% for i in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.depth }}{{ loop.depth0 }}|{% endfor %}", {}),
    ("loop_prev_next", "{% for i in [1,2,3] %}[{{ loop.previtem }}|{{ loop.nextitem }}|{{ loop.previtem is defined }}]{% endfor %}", {}),
    ("loop_cycle_changed", "{% for i in [1,1,2,3,3] %}{{ loop.cycle('a','b','c') }}{{ loop.changed(i) }} {% endfor %}", {}),
    ("loop_else", "{% for i in [] %}x{% else %}empty{% endfor %}{% for i in [1] %}x{% else %}empty{% endfor %}{% for i in none_val|default([]) %}{% else %}E{% endfor %}", {}),
    ("loop_filter", "{% for i in range(10) if i % 3 == 0 %}{{ i }}:{{ loop.index }}/{{ loop.length }}{{ '' if loop.last else ',' }}{% endfor %}", {}),
    ("loop_unpack", "{% for a, b in [[1,2],[3,4]] %}{{ a }}{{ b }}{% endfor %}{% for (a, b) in {'x':1}.items() %}{{ a }}{{ b }}{% endfor %}{% for a, b in ['ab'] %}{{ b }}{{ a }}{% endfor %}", {}),
    ("loop_break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}),
    ("loop_nested", "{% for i in [1,2] %}{% for j in 'ab' %}{{ i }}{{ j }}{{ loop.index }}{% if loop.last %};{% endif %}{% endfor %}{{ loop.index }}{% endfor %}", {}),
    ("loop_dict_iter", "{% for k in d %}{{ k }}{% endfor %}{% for k in d|dictsort %}{{ k[0] }}{% endfor %}", {"d": {"b": 1, "a": 2}}),
    ("loop_undefined_iter", "{% for x in nothing %}x{% else %}none{% endfor %}", {}),
    ("loop_range", "{{ range(3)|list }}{{ range(1,10,3)|list }}{{ range(5,0,-2)|list }}{{ range(0)|list }}", {}),
    ("loop_messages", "{% for m in messages %}{{ loop.index0 }}:{{ m.role }}:{{ m['content'] }}{% if not loop.last %}\n{% endif %}{% endfor %}", {"messages": MSGS}),
    ("loop_messages_slice", "{% for m in messages[1:] %}{{ m.role }},{% endfor %}{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %}", {"messages": MSGS}),
    # --- scoping ---
    ("scope_loop_set", "{% set c = 0 %}{% for i in range(3) %}{% set c = c + 1 %}{{ c }}{% endfor %}{{ c }}", {}),
    ("scope_loop_fresh_iteration", "{% for i in [1,2] %}{% if i == 2 %}[{{ x }}]{% endif %}{% set x = i %}{% endfor %}", {}),
    ("scope_outer_then_local", "{% set x = 5 %}{% for i in [1,2] %}[{{ x }}]{% set x = i %}{% endfor %}{{ x }}", {}),
    ("scope_if_leaks", "{% if true %}{% set y = 1 %}{% endif %}{{ y }}", {}),
    ("scope_set_block", "{% set x = 1 %}{% set y %}{% set x = 2 %}{{ x }}{% endset %}{{ x }}{{ y }}", {}),
    ("scope_filter_block", "{% set x = 1 %}{% filter upper %}{% set x = 2 %}a{{ x }}{% endfilter %}{{ x }}", {}),
    ("scope_for_else", "{% set x = 1 %}{% for i in [] %}{% else %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}", {}),
    ("scope_with", "{% set a = 1 %}{% with a = 2, b = a %}{{ a }}{{ b }}{% endwith %}{{ a }}", {}),
    ("scope_loop_var_gone", "{% for i in [1] %}{% endfor %}[{{ i }}]", {}),
    ("scope_reassign_context", "{% set messages = messages[1:] %}{{ messages|length }}{% for m in messages %}{{ m.role[0] }}{% endfor %}", {"messages": MSGS}),
    ("scope_loop_var_reassign", "{% for t in tools %}{% set t = t.function %}{{ t.name }}{% endfor %}", {"tools": TOOLS}),
    # --- namespace ---
    ("ns_basic", "{% set ns = namespace(a=1, found=false) %}{% for i in [1,2,3] %}{% if i == 2 %}{% set ns.found = true %}{% endif %}{% set ns.a = ns.a + i %}{% endfor %}{{ ns.a }}{{ ns.found }}{{ ns }}", {}),
    ("ns_empty_then_set", "{% set ns = namespace() %}{% set ns.index = 0 %}{% for m in messages %}{% set ns.index = ns.index + 1 %}{% endfor %}{{ ns.index }}{{ ns.missing }}|{{ ns.missing is defined }}", {"messages": MSGS}),
    ("ns_list_accumulate", "{% set ns = namespace(items=[]) %}{% for i in range(3) %}{% set ns.items = ns.items + [i * 2] %}{% endfor %}{{ ns.items }}", {}),
    ("ns_from_dict", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}", {}),
    # --- macros ---
    ("macro_basic", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(punct='.', name='C') }} {{ greet() }}", {}),
    ("macro_recursive", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}", {}),
    ("macro_late_binding", "{% macro m() %}{{ y }}{% endmacro %}{% set y = 1 %}{{ m() }}{% set y = 2 %}{{ m() }}", {}),
    ("macro_ns_side_effect", "{% set ns = namespace(n=0) %}{% macro bump() %}{% set ns.n = ns.n + 1 %}{% endmacro %}{{ bump() }}{{ bump() }}{{ ns.n }}", {}),
    ("macro_default_refs_param", "{% macro m(a, b=a * 2) %}{{ a }}{{ b }}{% endmacro %}{{ m(3) }}", {}),
    ("macro_varargs_kwargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}", {}),
    ("macro_returns_string", "{% macro m() %}1{% endmacro %}{{ m() + '2' }}{{ m()|int + 1 }}", {}),
    ("macro_whitespace", "{%- macro row(x) -%}\n  <{{ x }}>\n{%- endmacro -%}\n{{ row(1) }}\n{{ row(2) }}", {}),
    ("macro_python_type", "{%- macro t(s) %}{% if s.type == 'array' %}list[{{ t(s['items']) }}]{% elif s.type is iterable and s.type is not string %}{% for x in s.type %}{{ t({'type': x}) }}{{ ',' if not loop.last }}{% endfor %}{% else %}{{ {'string': 'str', 'integer': 'int'}[s.type] | default('Any') }}{% endif %}{% endmacro %}{{ t({'type': 'array', 'items': {'type': ['string', 'integer', 'null']}}) }}", {}),
    # --- set forms ---
    ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set (c, d) = [3, 4] %}{{ c }}{{ d }}", {}),
    ("set_block_filter", "{% set x | upper %}abc{% endset %}{{ x }}{% set y | trim | replace('a', 'b') %}  aa  {% endset %}[{{ y }}]", {}),
    ("filter_block", "{% filter upper %}hello {{ 'x' }}{% endfilter %}{% filter indent(2, true) %}a\nb{% endfilter %}", {}),
    ("print_stmt", "{% print 1 + 1 %}{% print 'x' %}", {}),
    # --- globals ---
    ("g_strftime", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %A %B %j %a %-d %m') }}", {}),
    ("g_dict_joiner", "{{ dict(a=1, b=2) }}{% set j = joiner('|') %}{% for i in [1,2,3] %}{{ j() }}{{ i }}{% endfor %}", {}),
    ("g_raise", "{{ raise_exception('custom failure') }}", {}),
    ("g_raise_in_branch", "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}ok", {"messages": MSGS}),
    # --- undefined semantics ---
    ("undef_print", "[{{ x }}][{{ x|lower }}][{{ x ~ 'a' }}][{{ x|length }}][{{ x|list }}][{{ x|join }}][{{ x|string }}]", {}),
    ("undef_truthy", "{% if x %}y{% else %}n{% endif %}{% if not x %}!{% endif %}{{ x == x }}{{ x != 1 }}{{ x in [1] }}", {}),
    ("undef_attr_error", "{{ x.y }}", {}),
    ("undef_item_error", "{{ x['y'] }}", {}),
    ("undef_add_error", "{{ 'a' + x }}", {}),
    ("undef_call_error", "{{ x() }}", {}),
    ("undef_missing_key_add", "{{ 'a' + d.nope }}", {"d": {}}),
    ("undef_missing_index_attr", "{{ l[5].role }}", {"l": [1]}),
    ("undef_none_attr_chain", "{{ none.y.z }}", {}),
    ("undef_compare_error", "{{ x < 1 }}", {}),
    ("undef_neg_error", "{{ -x }}", {}),
    ("undef_tojson_error", "{{ x|tojson }}", {}),
    # --- runtime errors ---
    ("err_type_add", "{{ 'a' + 1 }}", {}),
    ("err_type_add2", "{{ 1 + 'a' }}", {}),
    ("err_list_tuple", "{{ [1] + (2,) }}", {}),
    ("err_compare_types", "{{ 'a' < 1 }}", {}),
    ("err_in_none", "{{ 'a' in none }}", {}),
    ("err_in_str_int", "{{ 1 in 'abc' }}", {}),
    ("err_div_zero", "{{ 1 / 0 }}", {}),
    ("err_floordiv_zero", "{{ 1 // 0 }}", {}),
    ("err_mod_zero", "{{ 1 % 0 }}", {}),
    ("err_len_int", "{{ 5|length }}", {}),
    ("err_iter_none", "{% for x in none %}{% endfor %}", {}),
    ("err_iter_int", "{% for x in 5 %}{% endfor %}", {}),
    ("err_unpack_few", "{% for a, b in [[1]] %}{% endfor %}", {}),
    ("err_unpack_many", "{% for a, b in [[1,2,3]] %}{% endfor %}", {}),
    ("err_ns_assign", "{% set x = 1 %}{% set x.y = 2 %}", {}),
    ("err_unsafe_append", "{{ [].append(1) }}", {}),
    ("err_unsafe_update", "{% set d = {} %}{{ d.update({'a': 1}) }}", {}),
    ("err_str_not_callable", "{{ 'abc'() }}", {}),
    ("err_missing_method_call", "{{ 'abc'.foo() }}", {}),
    ("err_items_non_mapping", "{{ [1]|items|list }}", {}),
    ("err_range_big", "{{ range(1000000)|length }}", {}),
    ("err_macro_too_many", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}", {}),
    ("err_macro_bad_kw", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=2) }}", {}),
    ("err_unhashable", "{{ {[1]: 2} }}", {}),
    ("err_slice_step", "{{ [1,2][::0] }}", {}),
    ("err_split_empty", "{{ 'a'.split('') }}", {}),
    ("err_format_args", "{{ '%s %s' % ('a',) }}", {}),
    ("err_dictsort_by", "{{ {'a':1}|dictsort(by='x') }}", {}),
    ("err_abs_str", "{{ 'a'|abs }}", {}),
    # --- realistic fragments ---
    ("real_chatml", "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}", {"messages": MSGS, "add_generation_prompt": True}),
    ("real_tool_calls", "{%- for message in messages %}\n    {%- if message.role == 'assistant' and message.tool_calls is defined %}\n        {%- for tc in message.tool_calls %}\n            {{- '<tool_call>' + tc.function.name + ':' + tc.function.arguments|tojson + '</tool_call>' }}\n        {%- endfor %}\n    {%- elif message.role == 'tool' %}\n        {{- '<tool_response>' + message.content + '</tool_response>' }}\n    {%- else %}\n        {{- message.role + ': ' + message.content + '\n' }}\n    {%- endif %}\n{%- endfor %}", {"messages": TOOL_MSGS}),
    ("real_think_split", "{% set content = m %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}[{{ content }}]", {"m": "<think>hmm</think>answer"}),
    ("real_tools_json_indent", "{%- for t in tools %}\n{{- t | tojson(indent=4) }}\n{{- '\n\n' }}\n{%- endfor %}", {"tools": TOOLS}),
    ("real_mistral_slice", "{%- set out = t.function|tojson %}{{- out[:-1] }}, \"id\": \"x\"}", {"t": TOOL_MSGS[2]["tool_calls"][0]}),

    # --- generator results (map/select/reject/unique/items/reverse are lazy in Jinja2) ---
    ("gen_truthy", "{% if none|selectattr('a') %}T{% else %}F{% endif %}{% if []|map('upper') %}T{% endif %}{% if [1]|reject %}T{% endif %}", {}),
    ("gen_single_pass", "{% set g = [1,2,3]|select('odd') %}{{ g|list }}{{ g|list }}{% for x in g %}x{% else %}empty{% endfor %}", {}),
    ("gen_first_then_rest", "{% set g = [1,2,3]|map('string') %}{{ g|first }}{{ g|list }}", {}),
    ("gen_len_error", "{{ [1]|map('string')|length }}", {}),
    ("gen_tojson_error", "{{ [1]|select|tojson }}", {}),
    ("gen_last_error", "{{ [1]|select|last }}", {}),
    ("gen_deferred_error", "{% set g = [1]|items %}ok", {}),
    ("gen_deferred_error_raised", "{% set g = [1]|items %}{{ g|list }}", {}),
    ("gen_in_consumes", "{% set g = [1,2,3]|select %}{{ 2 in g }}{{ g|list }}", {}),
    ("gen_reverse", "{{ [1,2]|reverse|list }}{{ {'a':1,'b':2}|reverse|list }}{% set r = [1,2]|reverse %}{{ r|list }}{{ r|list }}{{ ([1]|select)|reverse }}", {}),
    ("gen_getitem", "[{{ ([1]|select)[0] }}][{{ ([1]|select).x }}]", {}),
    ("gen_tests", "{{ [1]|select is sequence }}{{ [1]|select is iterable }}{{ [1]|select is defined }}{{ [1]|unique is mapping }}", {}),
    ("gen_pipelines", "{{ ['b','a','b']|unique|sort|join }}{{ [1,2,3,4]|batch(3)|list }}{{ [3,1]|select|max }}{{ {'a': 1}|items|map('first')|list }}{{ [1,2]|select|sum }}", {}),
    ("gen_unpack", "{% set a, b = [1, 2]|map('string') %}{{ a }}{{ b }}", {}),
    # --- unknown filters/tests: compile-time error, except inside if / inline-if ---
    ("soft_filter_false_if", "{% if false %}{{ x|nofilt }}{% endif %}ok", {}),
    ("soft_filter_true_if", "{% if true %}{{ x|nofilt }}{% endif %}ok", {}),
    ("soft_filter_if_test", "{% if x|nofilt %}{% endif %}ok", {}),
    ("soft_condexpr", "{{ x|nofilt if false else 1 }}ok", {}),
    ("soft_test_false_if", "{% if false %}{{ x is notest }}{% endif %}ok", {}),
    ("soft_if_inside_for", "{% for i in [1] %}{% if false %}{{ x|nofilt }}{% endif %}{% endfor %}ok", {}),
    ("soft_elif_else", "{% if true %}{% elif x|nofilt %}{% else %}{{ y|nofilt }}{% endif %}ok", {}),
    # --- str % args corner cases ---
    ("mod_undefined_and_mappings", "{{ 'abc' % x }}|{{ '%s' % x }}|{{ 'abc' % [1] }}|{{ 'abc' % {'a':1} }}|{{ '%s' % {'a': 1} }}", {}),
    ("mod_undefined_d", "{{ '%d' % x }}", {}),
    ("mod_int_leftover", "{{ 'abc' % 5 }}", {}),
    ("mod_list_args", "{{ '%s %s' % [1, 2] }}", {}),
    ("test_arity_error", "{{ x is defined y }}", {}),
    ("test_arity_ok", "{{ 4 is divisibleby 2 }}{{ 1 is in [1] }}{{ 1 is sameas 1 }}", {}),
    ("namespace_undefined_positional", "{% set ns = namespace(nothing) %}", {}),
    # --- found by differential fuzzing against Jinja2 ---
    ("fz_undefined_int", "{{ u|int }}", {}),
    ("fz_undefined_float", "{{ u|float }}", {}),
    ("fz_float_div_zero", "{{ 3.5 / 0 }}", {}),
    ("fz_abs_undefined", "{{ u|abs }}", {}),
    ("fz_list_compare_op", "{{ ['k'] >= [3] }}", {}),
    ("fz_max_op", "{{ (1, 'x')|max }}", {}),
    ("fz_indent_bool", "{{ true|indent(2) }}", {}),
    ("fz_indent_list", "{{ [1]|indent(2) }}", {}),
    ("fz_truncate_nonstr", "{{ [1, 2]|truncate(5) }}|{{ none|truncate(5) }}", {}),
    ("fz_truncate_bool", "{{ true|truncate(5) }}", {}),
    ("fz_dictsort_none", "{{ none|dictsort }}", {}),
    ("fz_reverse_int", "{{ 5|reverse }}", {}),
    ("fz_last_float", "{{ 2.5|last }}", {}),
    ("fz_markup_iter", "{{ []|safe|map('string')|list }}{{ ('<a>'|safe)|list }}", {}),
    ("fz_markup_plus_float", "{{ 'a'|safe + 1.5 }}", {}),
    ("fz_join_item_type", "{{ ','.join(['a', 1]) }}", {}),
    ("fz_find_int", "{{ 'ab'.find(1) }}", {}),
    # --- more edge cases ---
    ("edge_literal_braces", "{{ '{{' }}{{ '}}' }}{{ '{%' ~ '%}' }}{{ {'a': {'b': 1}} }}{{ {'a': {'b': {}}}['a'] }}", {}),
    ("edge_comment_with_tags", "a{# {% if %} {{ x }} #}b{#\nmulti\nline\n#}c", {}),
    ("edge_unicode_data", "héllo {{ 'wörld' }} 日本 {{ '日本'|length }} {{ 'ÉCOLE'|lower }} {{ 'straße'|upper }}", {}),
    ("edge_special_floats", "{{ 1e300 * 1e300 }} {{ -(1e300 * 1e300) }} {{ (1e300*1e300) - (1e300*1e300) }} {{ 1e-7 }} {{ 123456789012345678.0 }} {{ 7.0 }} {{ 2**62 }} {{ 5e-324 }}", {}),
    ("edge_neg_ops", "{{ 2 * -1 }} {{ 3 - -1 }} {{ - - 2 }} {{ +3 }} {{ -1 ** 2 }} {{ not true == false }}", {}),
    ("edge_zero_repeat", "[{{ 'x' * 0 }}][{{ [] * -1 }}][{{ 'ab' * -2 }}]", {}),
    ("edge_defined_chain_error", "{{ d.a.b is defined }}", {"d": {}}),
    ("edge_empty_messages_error", "{% if messages[0]['role'] == 'system' %}x{% endif %}", {"messages": []}),
    ("edge_nested_break", "{% for i in range(3) %}{% for j in range(3) %}{% if j == 1 %}{% break %}{% endif %}{{ i }}{{ j }}{% endfor %}{% endfor %}", {}),
    ("edge_loop_after_inner", "{% for i in [1,2] %}{% for j in [1] %}{% endfor %}{{ loop.index }}{% endfor %}", {}),
    ("edge_default_none", "{{ x|default(none) is none }}{{ 1 is number and 'a' is string }}", {}),
    ("edge_selectattr_last", "{{ (messages|selectattr('role', 'eq', 'user')|list|last).content }}", {"messages": MSGS}),
    ("edge_reverse_loop", "{% for m in messages|reverse %}{{ m.role[0] }}{% endfor %}", {"messages": MSGS}),
    ("edge_printf_floats", "{{ '%.2f'|format(1.005) }} {{ '%.3g' % 1234.5 }} {{ '%e' % 12345.678 }} {{ '%10.3f|' % -3.14159 }} {{ '%-+6d|' % 42 }} {{ '%#x %#o' % (255, 8) }} {{ '%c%c' % (72, 'i') }} {{ '%s' % [1, 'a'] }} {{ '%s' % none }}", {}),
    ("edge_format_spec", "{{ '{:+.3e}'.format(12345.678) }} {{ '{:g}'.format(0.0001) }} {{ '{:.1%}'.format(0.256) }} {{ '{:*^9}'.format('mid') }} {{ '{:b}'.format(5) }} {{ '{:#x}'.format(255) }} {{ '{:_}'.format(1234567) }} {{ '{:.3}'.format('abcdef') }} {{ '{}'.format(1.0) }} {{ '{:.2}'.format(1.0) }} {{ '{:5}|'.format(True) }} {{ '{}'.format(none) }}", {}),
    ("edge_strftime_more", "{{ strftime_now('%c|%x|%X|%I %p|%U %W %w %u|%y %C|%e|%%|%H:%M:%S') }}", {}),
    ("edge_tojson_mixed_keys_error", "{{ {1: 'a', 'b': 2}|tojson }}", {}),
    ("edge_tojson_ns_error", "{{ namespace(a=1)|tojson }}", {}),
    ("edge_tojson_int_keys", "{{ {2: 'a', 1: 'b'}|tojson }} {{ {true: 1}|tojson }}", {}),
    ("edge_length_ns_error", "{{ namespace()|length }}", {}),
    ("edge_is_mapping_ns", "{{ namespace() is mapping }}{{ namespace() is iterable }}", {}),
    ("edge_string_iteration", "{% for c in 'héy' %}[{{ c }}]{% endfor %}", {}),
    ("edge_in_dict_values", "{{ 1 in {'a': 1} }}{{ 'a' in {'a': 1} }}{{ none in [none] }}{{ [1] in [[1]] }}", {}),
    ("edge_compare_chain_mixed", "{{ 1 < 2 == 2 }} {{ 1 == 1 in [true] }}", {}),
    ("edge_concat_everything", "{{ 1 ~ 2.5 ~ none ~ [1] ~ {'a': 1} ~ (1,) ~ true }}", {}),
    ("edge_bool_keys_lookup", "{{ {1: 'one'}[true] }}{{ {true: 'T'}[1] }}{{ {1.0: 'f'}[1] }}", {}),
    ("edge_macro_in_loop", "{% for i in [1,2] %}{% macro m() %}<{{ i }}>{% endmacro %}{{ m() }}{% endfor %}", {}),
    ("edge_macro_loop_inside", "{% macro m(xs) %}{% for x in xs %}{{ loop.index }}{{ x }}{% endfor %}{% endmacro %}{% for i in [1] %}{{ m('ab') }}{{ loop.index }}{% endfor %}", {}),
    ("edge_set_in_macro_local", "{% set x = 'outer' %}{% macro m() %}{% set x = 'inner' %}{{ x }}{% endmacro %}{{ m() }}{{ x }}", {}),
    ("edge_whitespace_macro_call", "{%- macro m() -%}\n    X\n{%- endmacro -%}\nA{{ m() }}B\n  {{- m() }}\n", {}),
    ("edge_if_elif_chain", "{% for v in [1, 2, 3, 4] %}{% if v == 1 %}a{% elif v == 2 %}b{% elif v == 3 %}c{% else %}d{% endif %}{% endfor %}", {}),
    ("edge_ws_elif_lines", "{% if false %}\n  a\n{% elif true %}\n  b\n{% else %}\n  c\n{% endif %}\n", {}),
    ("edge_getitem_str_method", "{{ 'abc'['upper']() }}{{ [1,2]['count'](1) }}", {}),
    ("edge_call_kwargs_splat", "{% macro m(a, b) %}{{ a }}{{ b }}{% endmacro %}{{ m(*[1, 2]) }}{{ m(**{'a': 3, 'b': 4}) }}{{ dict(**{'x': 1}) }}", {}),
    ("edge_none_methods", "{{ none is none }}{{ none|string }}{{ none ~ '' }}{{ [none]|join(',') }}", {}),
    ("edge_round_types", "{{ 2|round(2) }} {{ 2.0|round(1) }} {{ 0.5|round }} {{ 1.5|round }} {{ -0.5|round }} {{ 1.25|round(1) }} {{ 1.35|round(1) }}", {}),
    ("edge_sum_strings_error", "{{ ['a', 'b']|sum }}", {}),
    ("edge_min_empty", "[{{ []|min }}]{{ ([]|max) is defined }}", {}),
    ("edge_title_filter_vs_method", "{{ \"o'neil mc-donald\"|title }} {{ \"o'neil mc-donald\".title() }}", {}),
    ("edge_int_filter_base", "{{ 'ff'|int(base=16) }} {{ '0x10'|int(base=0) }} {{ '010'|int }} {{ '12abc'|int }} {{ '1.9e1'|int }}", {}),
    ("edge_capitalize_unicode", "{{ 'élan VITAL'|capitalize }}", {}),
]

# Templates that must not parse: glint must report a syntax error on the same line.
SYNTAX_CASES = [
    ("syn_empty_print", "{{ }}"),
    ("syn_unclosed_if", "a\n{% if x %}\nb\n"),
    ("syn_stray_endfor", "line1\n{% endfor %}"),
    ("syn_unknown_tag", "ok\n\n{% frobnicate %}"),
    ("syn_unknown_filter", "{{ 1 }}\n{{ x|nofilter }}"),
    ("syn_unknown_test", "{{ x is nosuchtest }}"),
    ("syn_unterminated_string", "{{ 'abc }}"),
    ("syn_bad_char", "{{ a ! b }}"),
    ("syn_missing_comment_end", "a\n{# never closed"),
    ("syn_unbalanced_brace", "{{ (1 + 2 }}"),
    ("syn_extra_paren", "{{ 1 + 2) }}"),
    ("syn_missing_var_end", "{{ x "),
    ("syn_bad_for", "{% for in x %}{% endfor %}"),
    ("syn_set_no_value", "{% set %}"),
    ("syn_else_twice", "{% if 1 %}{% else %}{% else %}{% endif %}"),
    ("syn_elif_after_else", "{% if 1 %}\n{% else %}\n{% elif 2 %}\n{% endif %}"),
    ("syn_macro_default_order", "{% macro m(a=1, b) %}{% endmacro %}"),
    ("syn_assign_const", "{% set true = 1 %}"),
    ("syn_dict_missing_colon", "{{ {'a' 1} }}"),
    ("syn_multiline_expr", "{{ foo(\n  1,\n  2\n  3) }}"),
    ("syn_filter_in_for_in_if", "{% if false %}\n{% for i in [1] %}{{ x|nofilt }}{% endfor %}{% endif %}"),
    ("syn_filter_block_in_if", "{% if false %}{% filter nofilt %}a{% endfilter %}{% endif %}"),
    ("syn_filter_in_macro_in_if", "{% if false %}{% macro m() %}\n\n{{ x|nofilt }}{% endmacro %}{% endif %}"),
    ("syn_filter_top_level_loop", "{% for i in [] %}{{ x|nofilt }}{% endfor %}"),
]


# Real templates from ../shared/chat-templates with tools, tool calls and
# documents (the shared expected.json only has plain conversations). Cases
# name the template file; the test skips them when ../shared is absent.
RICH_TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Get the current weather",
        "parameters": {"type": "object", "properties": {
            "location": {"type": "string", "description": "City and country, e.g. Paris, France"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Unit", "default": "celsius"},
            "days": {"type": "integer", "description": "Days ahead", "minimum": 0, "maximum": 7},
            "tags": {"type": "array", "items": {"type": "string"}, "description": "Free tags"},
            "opts": {"type": "object", "properties": {"verbose": {"type": "boolean"}}, "required": ["verbose"]},
            "when": {"oneOf": [{"type": "string", "format": "date"}, {"type": "integer"}]},
            "note": {"type": ["string", "null"], "nullable": True, "examples": ["it's sunny", "rain"]},
        }, "required": ["location"]}}},
    {"type": "function", "function": {
        "name": "search", "description": "Search the web <fast> & 'cheap'",
        "parameters": {"type": "object", "properties": {"q": {"type": "string", "description": "query"}}, "required": ["q"]}}},
]
COHERE_OLD_TOOLS = [
    {"name": "internet_search", "description": "Returns a list of relevant document snippets",
     "parameter_definitions": {"query": {"description": "Query to search the internet with", "type": "str", "required": True},
                               "limit": {"description": "Max results", "type": "int", "required": False}}},
]


def tool_conversation(string_args):
    args = {"location": "Paris, France", "unit": "celsius"}
    return [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call12345", "type": "function",
             "function": {"name": "get_weather", "arguments": json.dumps(args) if string_args else args}}]},
        {"role": "tool", "content": "{\"temperature\": 21, \"sky\": \"clear\"}", "tool_call_id": "call12345", "name": "get_weather"},
        {"role": "assistant", "content": "It is 21 degrees and clear in Paris."},
        {"role": "user", "content": "Thanks! <3"},
    ]


RICH_CONTEXTS = [
    ("tools_dict_args", {"messages": tool_conversation(False), "tools": RICH_TOOLS}),
    ("tools_str_args", {"messages": tool_conversation(True), "tools": RICH_TOOLS}),
    ("tools_no_calls", {"messages": [{"role": "user", "content": "hi"}], "tools": RICH_TOOLS}),
    ("documents", {"messages": [{"role": "user", "content": "Summarise"}],
                   "documents": [{"title": "Doc A", "text": "Alpha <b>"}, {"title": "Doc B", "text": "Beta"}]}),
    ("builtin_tools", {"messages": [{"role": "user", "content": "search it"},
                                    {"role": "assistant", "tool_calls": [{"function": {"name": "brave_search", "arguments": {"query": "x"}}}]}],
                       "tools": RICH_TOOLS, "builtin_tools": ["brave_search", "code_interpreter"], "tools_in_user_message": False,
                       "date_string": "01 Feb 2026"}),
    ("cohere_old_tools", {"messages": [{"role": "user", "content": "find"}], "tools": COHERE_OLD_TOOLS}),
    ("firefunction_vars", {"messages": [{"role": "user", "content": "hi"}], "functions": json.dumps(RICH_TOOLS[:1]),
                           "datetime": "2026-01-02"}),
    ("bad_role", {"messages": [{"role": "robot", "content": "beep"}]}),
]


def render(env, src, ctx):
    try:
        return {"expected": env.from_string(src).render(**ctx)}
    except jinja2.exceptions.TemplateSyntaxError as e:
        return {"syntax_error_line": e.lineno, "error": e.message}
    except Exception as e:  # noqa: BLE001 - recording the error is the point
        return {"error_type": type(e).__name__, "error": str(e)}


def main():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def strftime_now(fmt):
        return datetime.datetime(2026, 1, 2).strftime(fmt)

    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    names = set()
    out = []
    for name, src, ctx in CASES:
        assert name not in names, name
        names.add(name)
        case = {"name": name, "template": src, "context": ctx}
        case.update(render(env, src, ctx))
        out.append(case)
    for name, src in SYNTAX_CASES:
        assert name not in names, name
        names.add(name)
        case = {"name": name, "template": src, "context": {}}
        case.update(render(env, src, {}))
        assert "syntax_error_line" in case, name
        out.append(case)
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.path.join(here, "..", "..", "..", "shared", "chat-templates")
    if os.path.isdir(shared):
        for fname in sorted(os.listdir(shared)):
            if not fname.endswith(".jinja"):
                continue
            with open(os.path.join(shared, fname), encoding="utf-8") as f:
                src = f.read()
            for cname, ctx in RICH_CONTEXTS:
                ctx = dict(ctx, bos_token="<s>", eos_token="</s>", add_generation_prompt=True)
                case = {"name": fname + ":" + cname, "template_file": fname, "context": ctx}
                case.update(render(env, src, ctx))
                out.append(case)
    else:
        print("note: ../shared/chat-templates not found; real-template cases skipped")
    path = os.path.join(here, "golden.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"generator": "jinja2 " + jinja2.__version__, "cases": out}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(out)} cases to {path}")


if __name__ == "__main__":
    main()
