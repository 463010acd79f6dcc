#include "engine/chat/parser.h"

#include <algorithm>
#include <initializer_list>

#include "engine/chat/builtins.h"

namespace glint::chat {

namespace {

std::string describe(const Token& t) {
    switch (t.type) {
        case Tok::Data: return "template data";
        case Tok::VarBegin: return "begin of print statement";
        case Tok::VarEnd: return "end of print statement";
        case Tok::BlockBegin: return "begin of statement block";
        case Tok::BlockEnd: return "end of statement block";
        case Tok::Name: return t.text;
        case Tok::String: return "string";
        case Tok::Int: return "integer";
        case Tok::Float: return "float";
        case Tok::Op: return t.text;
        case Tok::Eof: return "end of template";
    }
    return "token";
}

class Parser {
public:
    explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

    Body parse() {
        Body body = subparse({});
        if (cur().type != Tok::Eof) fail("unexpected '" + describe(cur()) + "'");
        check_names(body, false);
        return body;
    }

private:
    // ---- filter and test names -----------------------------------------------
    // Jinja2 rejects an unknown filter or test when compiling, except inside
    // an `if` (test and branches) or an inline if-expression, where it fails
    // only if reached. A loop, macro or captured block starts afresh.
    void check_names(const Body& body, bool soft) {
        for (const StmtPtr& s : body) check_names(*s, soft);
    }

    void check_names(const Stmt& s, bool soft) {
        switch (s.kind) {
            case StmtKind::Output:
            case StmtKind::Set: check_names(s.expr, soft); break;
            case StmtKind::If:
                for (const auto& [test, body] : s.branches) {
                    check_names(test, true);
                    check_names(body, true);
                }
                check_names(s.else_body, true);
                break;
            case StmtKind::For:
                check_names(s.expr, soft);
                check_names(s.cond, false);
                check_names(s.body, false);
                check_names(s.else_body, false);
                break;
            case StmtKind::SetBlock:
            case StmtKind::FilterBlock:
                check_names(s.expr, false);
                check_names(s.body, false);
                break;
            case StmtKind::Macro:
                for (const ExprPtr& d : s.defaults) check_names(d, false);
                check_names(s.body, false);
                break;
            case StmtKind::With:
                for (const auto& a : s.assigns) check_names(a.second, soft);
                check_names(s.body, false);
                break;
            default: break;
        }
    }

    void check_names(const ExprPtr& e, bool soft) {
        if (!e) return;
        if (e->kind == ExprKind::CondExpr) soft = true;
        if (!soft && e->kind == ExprKind::Filter && !find_filter(e->name))
            fail_at(e->pos, "no filter named '" + e->name + "'");
        if (!soft && e->kind == ExprKind::Test && !find_test(e->name))
            fail_at(e->pos, "no test named '" + e->name + "'");
        for (const ExprPtr& c : e->items) check_names(c, soft);
        for (const ExprPtr& c : e->args) check_names(c, soft);
        for (const auto& kv : e->kwargs) check_names(kv.second, soft);
        check_names(e->dyn_args, soft);
        check_names(e->dyn_kwargs, soft);
    }

    // ---- token stream -------------------------------------------------------
    const Token& cur() const { return t_[i_]; }
    const Token& look() const { return t_[std::min(i_ + 1, t_.size() - 1)]; }
    const Token& next() {
        const Token& t = t_[i_];
        if (i_ + 1 < t_.size()) ++i_;
        return t;
    }
    bool is_op(std::string_view op) const { return cur().type == Tok::Op && cur().text == op; }
    bool is_name(std::string_view n) const { return cur().type == Tok::Name && cur().text == n; }
    bool skip_op(std::string_view op) {
        if (!is_op(op)) return false;
        next();
        return true;
    }
    bool skip_name(std::string_view n) {
        if (!is_name(n)) return false;
        next();
        return true;
    }
    [[noreturn]] void fail(std::string msg) const { throw SyntaxError{std::move(msg), cur().pos}; }
    [[noreturn]] void fail_at(SrcPos pos, std::string msg) const { throw SyntaxError{std::move(msg), pos}; }

    void expect_op(std::string_view op) {
        if (!skip_op(op)) fail("expected '" + std::string(op) + "', got '" + describe(cur()) + "'");
    }
    std::string expect_name() {
        if (cur().type != Tok::Name) fail("expected a name, got '" + describe(cur()) + "'");
        return next().text;
    }
    void expect_block_end() {
        if (cur().type != Tok::BlockEnd) fail("expected end of statement block, got '" + describe(cur()) + "'");
        next();
    }

    // Recursion guard shared by statement and expression parsing.
    struct Deeper {
        explicit Deeper(Parser& p) : p(p) {
            if (++p.depth_ > kMaxNesting)
                p.fail("template nesting too deep (the limit is " + std::to_string(kMaxNesting) + " levels)");
        }
        ~Deeper() { --p.depth_; }
        Parser& p;
    };

    ExprPtr make(ExprKind kind, SrcPos pos) {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->pos = pos;
        return e;
    }

    // Records the subtree height once all children are attached; trees too
    // deep to evaluate without risking the stack are rejected here.
    ExprPtr seal(ExprPtr e) {
        int d = 0;
        auto see = [&](const ExprPtr& c) {
            if (c) d = std::max(d, c->depth);
        };
        for (auto& c : e->items) see(c);
        for (auto& c : e->args) see(c);
        for (auto& kv : e->kwargs) see(kv.second);
        see(e->dyn_args);
        see(e->dyn_kwargs);
        e->depth = d + 1;
        if (e->depth > kMaxNesting)
            fail_at(e->pos, "expression nesting too deep (the limit is " + std::to_string(kMaxNesting) + " levels)");
        return e;
    }

    ExprPtr unary(ExprKind kind, SrcPos pos, ExprPtr a) {
        auto e = make(kind, pos);
        e->items.push_back(std::move(a));
        return seal(std::move(e));
    }
    ExprPtr binary(ExprKind kind, SrcPos pos, ExprPtr a, ExprPtr b, std::string op = {}) {
        auto e = make(kind, pos);
        e->name = std::move(op);
        e->items.push_back(std::move(a));
        e->items.push_back(std::move(b));
        return seal(std::move(e));
    }

    // ---- statements -----------------------------------------------------------
    using EndSet = std::vector<std::string_view>;

    bool at_end_tag(const EndSet& ends) const {
        if (cur().type != Tok::Name) return false;
        return std::find(ends.begin(), ends.end(), cur().text) != ends.end();
    }

    // Parses until a `{% <end> %}` tag; leaves the stream on that tag's name.
    Body subparse(const EndSet& ends) {
        Deeper guard(*this);
        Body body;
        for (;;) {
            const Token& t = cur();
            if (t.type == Tok::Eof) return body;
            if (t.type == Tok::Data) {
                auto s = std::make_unique<Stmt>();
                s->kind = StmtKind::Data;
                s->pos = t.pos;
                s->text = t.text;
                body.push_back(std::move(s));
                next();
            } else if (t.type == Tok::VarBegin) {
                auto s = std::make_unique<Stmt>();
                s->kind = StmtKind::Output;
                s->pos = t.pos;
                next();
                s->expr = parse_tuple(false, true, {});
                if (cur().type != Tok::VarEnd) fail("expected end of print statement, got '" + describe(cur()) + "'");
                next();
                body.push_back(std::move(s));
            } else if (t.type == Tok::BlockBegin) {
                next();
                if (!ends.empty() && at_end_tag(ends)) return body;
                body.push_back(parse_statement());
                expect_block_end();
            } else {
                fail("unexpected '" + describe(t) + "'");
            }
        }
    }

    // Body of a block statement: `%}` then statements up to one of `ends`.
    Body parse_block(const EndSet& ends, std::string_view tag, SrcPos opened, bool drop_end) {
        skip_op(":");
        expect_block_end();
        open_.emplace_back(tag, ends);
        Body body = subparse(ends);
        open_.pop_back();
        if (cur().type == Tok::Eof) {
            std::string want;
            for (std::size_t k = 0; k < ends.size(); ++k) want += (k ? " or '" : "'") + std::string(ends[k]) + "'";
            fail("unexpected end of template: expected " + want + " to close the '" + std::string(tag) +
                 "' block opened at line " + std::to_string(opened.line));
        }
        if (drop_end) next();
        return body;
    }

    StmtPtr parse_statement() {
        const Token& t = cur();
        if (t.type != Tok::Name) fail("tag name expected");
        const std::string& n = t.text;
        if (n == "if") return parse_if();
        if (n == "for") return parse_for();
        if (n == "set") return parse_set();
        if (n == "macro") return parse_macro();
        if (n == "filter") return parse_filter_block();
        if (n == "with") return parse_with();
        if (n == "print") {
            auto s = stmt(StmtKind::Output);
            s->expr = parse_tuple(false, true, {});
            return s;
        }
        if (n == "break" || n == "continue") {
            if (loop_depth_ == 0) fail("'" + n + "' outside of a for loop");
            return stmt(n == "break" ? StmtKind::Break : StmtKind::Continue);
        }
        if (n == "call" || n == "block" || n == "extends" || n == "include" || n == "import" || n == "from" ||
            n == "autoescape" || n == "do")
            fail("the '" + n + "' tag is not supported in chat templates");
        std::string msg = "encountered unknown tag '" + n + "'";
        if (!open_.empty()) {
            const auto& [tag, ends] = open_.back();
            msg += "; expected ";
            for (std::size_t k = 0; k < ends.size(); ++k) msg += (k ? " or '" : "'") + std::string(ends[k]) + "'";
            msg += " (the innermost open block is '" + std::string(tag) + "')";
        }
        fail(msg);
    }

    StmtPtr stmt(StmtKind kind) {
        auto s = std::make_unique<Stmt>();
        s->kind = kind;
        s->pos = next().pos;  // the tag name
        return s;
    }

    StmtPtr parse_if() {
        auto s = stmt(StmtKind::If);
        SrcPos opened = s->pos;
        for (;;) {
            ExprPtr test = parse_tuple(false, false, {});
            Body body = parse_block({"elif", "else", "endif"}, "if", opened, false);
            s->branches.emplace_back(std::move(test), std::move(body));
            std::string tag = next().text;
            if (tag == "elif") continue;
            if (tag == "else") s->else_body = parse_block({"endif"}, "if", opened, true);
            break;
        }
        return s;
    }

    StmtPtr parse_for() {
        auto s = stmt(StmtKind::For);
        SrcPos opened = s->pos;
        s->target = parse_target(false, {"in"});
        if (!skip_name("in")) fail("expected 'in', got '" + describe(cur()) + "'");
        s->expr = parse_tuple(false, false, {"recursive"});
        if (skip_name("if")) s->cond = parse_expression(true);
        if (is_name("recursive")) fail("recursive for loops are not supported");
        ++loop_depth_;
        s->body = parse_block({"endfor", "else"}, "for", opened, false);
        --loop_depth_;
        if (next().text == "else") s->else_body = parse_block({"endfor"}, "for", opened, true);
        return s;
    }

    StmtPtr parse_set() {
        auto s = stmt(StmtKind::Set);
        s->target = parse_target(true, {});
        if (skip_op("=")) {
            s->expr = parse_tuple(false, true, {});
            return s;
        }
        s->kind = StmtKind::SetBlock;
        if (is_op("|")) {
            next();
            s->expr = parse_filter(nullptr);
        }
        s->body = parse_block({"endset"}, "set", s->pos, true);
        return s;
    }

    StmtPtr parse_filter_block() {
        auto s = stmt(StmtKind::FilterBlock);
        s->expr = parse_filter(nullptr);
        s->body = parse_block({"endfilter"}, "filter", s->pos, true);
        return s;
    }

    StmtPtr parse_with() {
        auto s = stmt(StmtKind::With);
        while (cur().type != Tok::BlockEnd) {
            if (!s->assigns.empty()) expect_op(",");
            Target t = parse_target(false, {});
            expect_op("=");
            s->assigns.emplace_back(std::move(t), parse_expression(true));
        }
        s->body = parse_block({"endwith"}, "with", s->pos, true);
        return s;
    }

    StmtPtr parse_macro() {
        auto s = stmt(StmtKind::Macro);
        s->text = expect_name();
        expect_op("(");
        while (!is_op(")")) {
            if (!s->params.empty()) expect_op(",");
            if (is_op(")")) break;
            std::string p = expect_name();
            ExprPtr def;
            if (skip_op("=")) def = parse_expression(true);
            else if (!s->defaults.empty() && s->defaults.back())
                fail("non-default argument follows default argument");
            s->params.push_back(std::move(p));
            s->defaults.push_back(std::move(def));
        }
        expect_op(")");
        int saved_loops = loop_depth_;
        loop_depth_ = 0;  // a macro body is its own function: no enclosing loop
        macro_refs_.push_back({false, false});
        s->body = parse_block({"endmacro"}, "macro", s->pos, true);
        s->uses_varargs = macro_refs_.back().first;
        s->uses_kwargs = macro_refs_.back().second;
        macro_refs_.pop_back();
        loop_depth_ = saved_loops;
        return s;
    }

    // name | name.attr | (targets) | a, b  -- Jinja2's parse_assign_target
    Target parse_target(bool with_namespace, const EndSet& extra_end) {
        SrcPos pos = cur().pos;
        std::vector<Target> items;
        bool is_tuple = false;
        for (;;) {
            if (!items.empty()) expect_op(",");
            if (tuple_end(extra_end)) break;
            items.push_back(parse_target_primary(with_namespace));
            if (is_op(",")) is_tuple = true;
            else break;
        }
        if (!is_tuple) {
            if (items.empty()) fail("expected an assignment target, got '" + describe(cur()) + "'");
            return std::move(items[0]);
        }
        Target t;
        t.kind = Target::Kind::Tuple;
        t.items = std::move(items);
        t.pos = pos;
        return t;
    }

    Target parse_target_primary(bool with_namespace) {
        Target t;
        t.pos = cur().pos;
        if (skip_op("(")) {
            t = parse_target(false, {});
            expect_op(")");
            return t;
        }
        if (cur().type != Tok::Name) fail("can't assign to '" + describe(cur()) + "'");
        const std::string& n = cur().text;
        if (n == "true" || n == "false" || n == "none" || n == "True" || n == "False" || n == "None")
            fail("can't assign to constant '" + n + "'");
        t.name = next().text;
        if (with_namespace && is_op(".") && look().type == Tok::Name) {
            next();
            t.kind = Target::Kind::NsAttr;
            t.attr = next().text;
        }
        return t;
    }

    // ---- expressions ----------------------------------------------------------
    bool tuple_end(const EndSet& extra) const {
        if (cur().type == Tok::VarEnd || cur().type == Tok::BlockEnd || is_op(")")) return true;
        return at_end_tag(extra);
    }

    // parse_tuple(simplified=false, with_condexpr, extra_end_rules, explicit_parentheses)
    ExprPtr parse_tuple(bool explicit_parens, bool with_condexpr, const EndSet& extra) {
        SrcPos pos = cur().pos;
        std::vector<ExprPtr> items;
        bool is_tuple = false;
        for (;;) {
            if (!items.empty()) expect_op(",");
            if (tuple_end(extra)) break;
            items.push_back(parse_expression(with_condexpr));
            if (is_op(",")) is_tuple = true;
            else break;
        }
        if (!is_tuple) {
            if (!items.empty()) return std::move(items[0]);
            if (!explicit_parens) fail("expected an expression, got '" + describe(cur()) + "'");
        }
        auto e = make(ExprKind::Tuple, pos);
        e->items = std::move(items);
        return seal(std::move(e));
    }

    ExprPtr parse_expression(bool with_condexpr) { return with_condexpr ? parse_condexpr() : parse_or(); }

    ExprPtr parse_condexpr() {
        SrcPos pos = cur().pos;
        ExprPtr expr1 = parse_or();
        while (skip_name("if")) {
            ExprPtr expr2 = parse_or();
            ExprPtr expr3;
            if (skip_name("else")) expr3 = parse_condexpr();
            auto e = make(ExprKind::CondExpr, pos);
            e->items.push_back(std::move(expr2));
            e->items.push_back(std::move(expr1));
            e->items.push_back(std::move(expr3));
            expr1 = seal(std::move(e));
            pos = cur().pos;
        }
        return expr1;
    }

    ExprPtr parse_or() {
        SrcPos pos = cur().pos;
        ExprPtr left = parse_and();
        while (skip_name("or")) left = binary(ExprKind::Or, pos, std::move(left), parse_and());
        return left;
    }

    ExprPtr parse_and() {
        SrcPos pos = cur().pos;
        ExprPtr left = parse_not();
        while (skip_name("and")) left = binary(ExprKind::And, pos, std::move(left), parse_not());
        return left;
    }

    ExprPtr parse_not() {
        if (is_name("not")) {
            Deeper guard(*this);
            SrcPos pos = next().pos;
            return unary(ExprKind::Not, pos, parse_not());
        }
        return parse_compare();
    }

    ExprPtr parse_compare() {
        SrcPos pos = cur().pos;
        ExprPtr expr = parse_math1();
        std::vector<std::string> ops;
        std::vector<ExprPtr> operands;
        for (;;) {
            if (cur().type == Tok::Op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                          cur().text == "<=" || cur().text == ">" || cur().text == ">=")) {
                ops.push_back(next().text);
            } else if (skip_name("in")) {
                ops.push_back("in");
            } else if (is_name("not") && look().type == Tok::Name && look().text == "in") {
                next();
                next();
                ops.push_back("notin");
            } else {
                break;
            }
            operands.push_back(parse_math1());
        }
        if (ops.empty()) return expr;
        auto e = make(ExprKind::Compare, pos);
        e->items.push_back(std::move(expr));
        for (auto& o : operands) e->items.push_back(std::move(o));
        e->ops = std::move(ops);
        return seal(std::move(e));
    }

    ExprPtr parse_math1() {
        SrcPos pos = cur().pos;
        ExprPtr left = parse_concat();
        while (is_op("+") || is_op("-")) {
            std::string op = next().text;
            left = binary(ExprKind::Binary, pos, std::move(left), parse_concat(), op);
        }
        return left;
    }

    ExprPtr parse_concat() {
        SrcPos pos = cur().pos;
        std::vector<ExprPtr> args;
        args.push_back(parse_math2());
        while (skip_op("~")) args.push_back(parse_math2());
        if (args.size() == 1) return std::move(args[0]);
        auto e = make(ExprKind::Concat, pos);
        e->items = std::move(args);
        return seal(std::move(e));
    }

    ExprPtr parse_math2() {
        SrcPos pos = cur().pos;
        ExprPtr left = parse_pow();
        while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
            std::string op = next().text;
            left = binary(ExprKind::Binary, pos, std::move(left), parse_pow(), op);
        }
        return left;
    }

    ExprPtr parse_pow() {
        SrcPos pos = cur().pos;
        ExprPtr left = parse_unary(true);
        while (skip_op("**")) left = binary(ExprKind::Binary, pos, std::move(left), parse_unary(true), "**");
        return left;
    }

    ExprPtr parse_unary(bool with_filter) {
        Deeper guard(*this);
        SrcPos pos = cur().pos;
        ExprPtr node;
        if (skip_op("-")) node = unary(ExprKind::Neg, pos, parse_unary(false));
        else if (skip_op("+")) node = unary(ExprKind::Pos, pos, parse_unary(false));
        else node = parse_primary();
        node = parse_postfix(std::move(node));
        if (with_filter) node = parse_filter_expr(std::move(node));
        return node;
    }

    ExprPtr parse_primary() {
        const Token& t = cur();
        SrcPos pos = t.pos;
        if (t.type == Tok::Name) {
            auto e = make(ExprKind::Const, pos);
            const std::string& n = t.text;
            if (n == "true" || n == "True") e->value = Value(true);
            else if (n == "false" || n == "False") e->value = Value(false);
            else if (n == "none" || n == "None") e->value = Value::none();
            else {
                e->kind = ExprKind::Name;
                e->name = n;
                if (!macro_refs_.empty()) {
                    if (n == "varargs") macro_refs_.back().first = true;
                    if (n == "kwargs") macro_refs_.back().second = true;
                }
            }
            next();
            return seal(std::move(e));
        }
        if (t.type == Tok::String) {
            std::string s;
            while (cur().type == Tok::String) s += next().text;  // adjacent literals concatenate
            auto e = make(ExprKind::Const, pos);
            e->value = Value(std::move(s));
            return seal(std::move(e));
        }
        if (t.type == Tok::Int || t.type == Tok::Float) {
            auto e = make(ExprKind::Const, pos);
            e->value = t.type == Tok::Int ? Value(t.ival) : Value(t.fval);
            next();
            return seal(std::move(e));
        }
        if (skip_op("(")) {
            ExprPtr e = parse_tuple(true, true, {});
            expect_op(")");
            return e;
        }
        if (skip_op("[")) {
            auto e = make(ExprKind::List, pos);
            while (!is_op("]")) {
                if (!e->items.empty()) expect_op(",");
                if (is_op("]")) break;
                e->items.push_back(parse_expression(true));
            }
            expect_op("]");
            return seal(std::move(e));
        }
        if (skip_op("{")) {
            auto e = make(ExprKind::Dict, pos);
            while (!is_op("}")) {
                if (!e->items.empty()) expect_op(",");
                if (is_op("}")) break;
                e->items.push_back(parse_expression(true));
                expect_op(":");
                e->items.push_back(parse_expression(true));
            }
            expect_op("}");
            return seal(std::move(e));
        }
        fail("unexpected '" + describe(t) + "'");
    }

    ExprPtr parse_postfix(ExprPtr node) {
        for (;;) {
            if (is_op(".") || is_op("[")) node = parse_subscript(std::move(node));
            else if (is_op("(")) node = parse_call(std::move(node));
            else return node;
        }
    }

    ExprPtr parse_subscript(ExprPtr node) {
        const Token& t = next();
        SrcPos pos = t.pos;
        if (t.text == ".") {
            const Token& a = cur();
            if (a.type == Tok::Name) {
                auto e = make(ExprKind::Getattr, pos);
                e->name = next().text;
                e->items.push_back(std::move(node));
                return seal(std::move(e));
            }
            if (a.type != Tok::Int) fail("expected name or number after '.'");
            auto key = make(ExprKind::Const, a.pos);
            key->value = Value(a.ival);
            next();
            return binary(ExprKind::Getitem, pos, std::move(node), seal(std::move(key)));
        }
        std::vector<ExprPtr> args;
        while (!is_op("]")) {
            if (!args.empty()) expect_op(",");
            args.push_back(parse_subscribed());
        }
        expect_op("]");
        ExprPtr arg;
        if (args.size() == 1) {
            arg = std::move(args[0]);
        } else {
            arg = make(ExprKind::Tuple, pos);
            arg->items = std::move(args);
            arg = seal(std::move(arg));
        }
        return binary(ExprKind::Getitem, pos, std::move(node), std::move(arg));
    }

    ExprPtr parse_subscribed() {
        SrcPos pos = cur().pos;
        std::vector<ExprPtr> parts;
        if (skip_op(":")) {
            parts.push_back(nullptr);
        } else {
            ExprPtr e = parse_expression(true);
            if (!skip_op(":")) return e;
            parts.push_back(std::move(e));
        }
        if (is_op(":")) parts.push_back(nullptr);
        else if (!is_op("]") && !is_op(",")) parts.push_back(parse_expression(true));
        else parts.push_back(nullptr);
        if (skip_op(":")) {
            if (!is_op("]") && !is_op(",")) parts.push_back(parse_expression(true));
            else parts.push_back(nullptr);
        } else {
            parts.push_back(nullptr);
        }
        auto e = make(ExprKind::Slice, pos);
        e->items = std::move(parts);
        return seal(std::move(e));
    }

    void parse_call_args(Expr& e) {
        SrcPos pos = cur().pos;
        expect_op("(");
        bool need_comma = false;
        auto ensure = [&](bool ok) {
            if (!ok) fail_at(pos, "invalid syntax for function call expression");
        };
        while (!is_op(")")) {
            if (need_comma) {
                expect_op(",");
                if (is_op(")")) break;
            }
            if (is_op("*")) {
                ensure(!e.dyn_args && !e.dyn_kwargs);
                next();
                e.dyn_args = parse_expression(true);
            } else if (is_op("**")) {
                ensure(!e.dyn_kwargs);
                next();
                e.dyn_kwargs = parse_expression(true);
            } else if (cur().type == Tok::Name && look().type == Tok::Op && look().text == "=") {
                ensure(!e.dyn_kwargs);
                std::string key = next().text;
                next();
                e.kwargs.emplace_back(std::move(key), parse_expression(true));
            } else {
                ensure(!e.dyn_args && !e.dyn_kwargs && e.kwargs.empty());
                e.args.push_back(parse_expression(true));
            }
            need_comma = true;
        }
        expect_op(")");
    }

    ExprPtr parse_call(ExprPtr node) {
        auto e = make(ExprKind::Call, node->pos);  // errors point at the callee
        e->items.push_back(std::move(node));
        parse_call_args(*e);
        return seal(std::move(e));
    }

    ExprPtr parse_filter_expr(ExprPtr node) {
        for (;;) {
            if (is_op("|")) {
                next();
                node = parse_filter(std::move(node));
            } else if (is_name("is")) {
                node = parse_test(std::move(node));
            } else if (is_op("(")) {
                node = parse_call(std::move(node));
            } else {
                return node;
            }
        }
    }

    std::string dotted_name() {
        std::string name = expect_name();
        while (is_op(".") && look().type == Tok::Name) {
            next();
            name += "." + next().text;
        }
        return name;
    }

    // One or more `name(args)` filters; the leading `|` is already consumed.
    // `node` is null for {% filter %} and {% set x | f %} blocks.
    ExprPtr parse_filter(ExprPtr node) {
        for (;;) {
            SrcPos pos = cur().pos;
            std::string name = dotted_name();
            auto e = make(ExprKind::Filter, pos);
            e->name = std::move(name);
            e->items.push_back(std::move(node));
            if (is_op("(")) parse_call_args(*e);
            node = seal(std::move(e));
            if (!is_op("|")) return node;
            next();
        }
    }

    ExprPtr parse_test(ExprPtr node) {
        SrcPos pos = next().pos;  // 'is'
        bool negated = skip_name("not");
        SrcPos name_pos = cur().pos;
        std::string name = dotted_name();
        auto e = make(ExprKind::Test, name_pos);
        e->name = std::move(name);
        e->items.push_back(std::move(node));
        if (is_op("(")) {
            parse_call_args(*e);
        } else if ((cur().type == Tok::Name || cur().type == Tok::String || cur().type == Tok::Int ||
                    cur().type == Tok::Float || is_op("(") || is_op("[") || is_op("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and")) {
            if (is_name("is")) fail("you cannot chain multiple tests with is");
            e->args.push_back(parse_postfix(parse_primary()));
        }
        ExprPtr test = seal(std::move(e));
        if (negated) return unary(ExprKind::Not, pos, std::move(test));
        return test;
    }

    std::vector<Token> t_;
    std::size_t i_ = 0;
    int depth_ = 0;
    int loop_depth_ = 0;
    std::vector<std::pair<bool, bool>> macro_refs_;  // (varargs, kwargs) seen per open macro
    std::vector<std::pair<std::string_view, EndSet>> open_;  // open blocks, for error messages
};

}  // namespace

Body parse_template(std::string_view source) { return Parser(tokenize(source)).parse(); }

}  // namespace glint::chat
