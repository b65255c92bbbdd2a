/**
 * @file parse.hpp
 * @brief parse(): JSON text (RFC 8259) into a metall::json::value built
 *        directly with the given allocator (no intermediate copy).
 *
 * What is accepted and what it becomes follows Boost.JSON's parser with its
 * default options, which Metall uses:
 *  - no comments, no trailing commas, only space, tab, CR and LF between
 *    tokens, nothing but whitespace after the value;
 *  - at most 32 levels of nested arrays/objects;
 *  - strings must be valid UTF-8; `\uXXXX` escapes (surrogate pairs too)
 *    are decoded to UTF-8;
 *  - a number without fraction or exponent is an int64 if it fits, else a
 *    uint64 if it fits, else a double; any other number is a double
 *    (correctly rounded; beyond the double range: +-infinity or 0);
 *  - of members with the same key, the object keeps the first one's
 *    position and the last one's value.
 * On an error, parse() writes "Failed to parse: <reason>" to std::cerr and
 * returns a null value, as Metall does; the reasons are Boost.JSON's
 * ("syntax error", "incomplete JSON", "extra data", "too deep", ...).
 */
#ifndef METALL_JSON_PARSE_HPP
#define METALL_JSON_PARSE_HPP

#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include <metall/json/details/access.hpp>
#include <metall/json/json_fwd.hpp>

namespace metall::json {

/// @cond INTERNAL
namespace jsndtl {

/* Length of the valid UTF-8 sequence at p (at most n bytes available);
 * 0 if invalid, -1 if it is cut short by the end of the input. */
inline int utf8_sequence(const unsigned char *p, std::size_t n) {
    const unsigned c = p[0];
    int len;
    unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) { len = 3; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEC) len = 3;
    else if (c == 0xED) { len = 3; hi = 0x9F; }  /* no UTF-16 surrogates */
    else if (c >= 0xEE && c <= 0xEF) len = 3;
    else if (c == 0xF0) { len = 4; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) { len = 4; hi = 0x8F; }  /* up to U+10FFFF */
    else return 0;
    for (int i = 1; i < len; ++i) {
        if (static_cast<std::size_t>(i) >= n)
            return -1;
        const unsigned b = p[i];
        if (b < (i == 1 ? lo : 0x80u) || b > (i == 1 ? hi : 0xBFu))
            return 0;
    }
    return len;
}

inline void append_utf8(std::string &out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

/* A recursive-descent parser writing into values of allocator Alloc. Every
 * function returns false after recording the first error. */
template <typename Alloc>
class parser {
public:
    parser(std::string_view text, const Alloc &alloc)
        : m_p(text.data()), m_end(text.data() + text.size()), m_alloc(alloc) {}

    /* nullptr on success, else the reason */
    const char *run(value<Alloc> &out) {
        skip_ws();
        if (parse_value(out)) {
            skip_ws();
            if (m_p != m_end)
                fail("extra data");
        }
        return m_error;
    }

private:
    static constexpr int k_max_depth = 32;
    static constexpr std::size_t k_index_from = 16; /* members before a key index pays */

    bool fail(const char *why) {
        if (!m_error)
            m_error = why;
        return false;
    }
    bool fail_at_end_or(const char *why) { return fail(m_p == m_end ? "incomplete JSON" : why); }

    void skip_ws() {
        while (m_p != m_end && (*m_p == ' ' || *m_p == '\t' || *m_p == '\n' || *m_p == '\r'))
            ++m_p;
    }

    bool parse_value(value<Alloc> &out) {
        if (m_p == m_end)
            return fail("incomplete JSON");
        switch (*m_p) {
        case '{': return parse_object(out);
        case '[': return parse_array(out);
        case '"':
            if (!parse_string())
                return false;
            out.emplace_string().assign(m_buf.data(), m_buf.size());
            return true;
        case 't': return parse_literal("true", [&] { out = true; });
        case 'f': return parse_literal("false", [&] { out = false; });
        case 'n': return parse_literal("null", [&] { out.emplace_null(); });
        default: return parse_number(out);
        }
    }

    template <typename Set>
    bool parse_literal(std::string_view word, Set set) {
        for (char c : word) {
            if (m_p == m_end)
                return fail("incomplete JSON");
            if (*m_p++ != c)
                return fail("syntax error");
        }
        set();
        return true;
    }

    bool digit() const { return m_p != m_end && *m_p >= '0' && *m_p <= '9'; }

    bool parse_number(value<Alloc> &out) {
        const char *start = m_p;
        const bool negative = (*m_p == '-');
        if (negative)
            ++m_p;
        if (!digit())
            return fail_at_end_or("syntax error");
        if (*m_p == '0')
            ++m_p; /* no leading zeros: "01" ends the number at "0" */
        else
            while (digit())
                ++m_p;
        bool integral = true;
        if (m_p != m_end && *m_p == '.') {
            ++m_p;
            if (!digit()) /* Boost.JSON's reason even at the end */
                return fail("syntax error");
            while (digit())
                ++m_p;
            integral = false;
        }
        if (m_p != m_end && (*m_p == 'e' || *m_p == 'E')) {
            ++m_p;
            const bool sign = (m_p != m_end && (*m_p == '+' || *m_p == '-'));
            m_p += sign;
            if (!digit())
                return sign ? fail("syntax error") : fail_at_end_or("syntax error");
            while (digit())
                ++m_p;
            integral = false;
        }
        if (integral && store_integer(out, start, m_p, negative))
            return true;
        out = to_double(start, m_p);
        return true;
    }

    /* false if the integer does not fit int64/uint64 (it becomes a double) */
    static bool store_integer(value<Alloc> &out, const char *start, const char *end,
                              bool negative) {
        std::uint64_t mag = 0;
        for (const char *p = start + negative; p != end; ++p) {
            const unsigned d = static_cast<unsigned>(*p - '0');
            if (mag > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
                return false;
            mag = mag * 10 + d;
        }
        constexpr std::uint64_t int64_max = std::numeric_limits<std::int64_t>::max();
        if (negative) {
            if (mag > int64_max + 1)
                return false;
            out = static_cast<long long>(mag == int64_max + 1 ? std::numeric_limits<std::int64_t>::min()
                                                               : -static_cast<std::int64_t>(mag));
        } else if (mag <= int64_max) {
            out = static_cast<long long>(mag);
        } else {
            out = static_cast<unsigned long long>(mag);
        }
        return true;
    }

    /* A validated JSON number; outside the double range: +-inf or +-0. */
    static double to_double(const char *first, const char *last) {
        double d = 0;
        auto r = std::from_chars(first, last, d);
        if (r.ec != std::errc::result_out_of_range)
            return d;
        const bool negative = (*first == '-');
        const double big = std::numeric_limits<double>::infinity();
        return decimal_exponent(first + negative, last) > 0 ? (negative ? -big : big)
                                                             : (negative ? -0.0 : 0.0);
    }

    /* E such that the number is about 0.d * 10^E (d: its first nonzero digit) */
    static long long decimal_exponent(const char *p, const char *last) {
        long long pos = 0, first_nonzero = -1, point = -1;
        for (; p != last && *p != 'e' && *p != 'E'; ++p) {
            if (*p == '.') {
                point = pos;
                continue;
            }
            if (*p != '0' && first_nonzero < 0)
                first_nonzero = pos;
            ++pos;
        }
        if (first_nonzero < 0)
            return std::numeric_limits<long long>::min(); /* zero */
        if (point < 0)
            point = pos;
        long long exp = 0;
        if (p != last) {
            ++p;
            const bool neg = (*p == '-');
            if (*p == '-' || *p == '+')
                ++p;
            for (; p != last && exp < 1000000000; ++p)
                exp = exp * 10 + (*p - '0');
            exp = neg ? -exp : exp;
        }
        return point - first_nonzero + exp;
    }

    /* A string token decoded into m_buf. */
    bool parse_string() {
        ++m_p; /* the opening quote */
        m_buf.clear();
        for (;;) {
            if (m_p == m_end)
                return fail("incomplete JSON");
            const auto c = static_cast<unsigned char>(*m_p);
            if (c == '"') {
                ++m_p;
                return true;
            }
            if (c == '\\') {
                if (!parse_escape())
                    return false;
                continue;
            }
            if (c < 0x20)
                return fail("syntax error");
            const int len = utf8_sequence(reinterpret_cast<const unsigned char *>(m_p),
                                          static_cast<std::size_t>(m_end - m_p));
            if (len <= 0)
                return fail(len < 0 ? "incomplete JSON" : "syntax error");
            m_buf.append(m_p, static_cast<std::size_t>(len));
            m_p += len;
        }
    }

    bool parse_escape() {
        if (++m_p == m_end)
            return fail("incomplete JSON");
        const char e = *m_p++;
        switch (e) {
        case '"': m_buf += '"'; return true;
        case '\\': m_buf += '\\'; return true;
        case '/': m_buf += '/'; return true;
        case 'b': m_buf += '\b'; return true;
        case 'f': m_buf += '\f'; return true;
        case 'n': m_buf += '\n'; return true;
        case 'r': m_buf += '\r'; return true;
        case 't': m_buf += '\t'; return true;
        case 'u': return parse_unicode_escape();
        default: return fail("syntax error");
        }
    }

    bool parse_hex4(std::uint32_t &u) {
        u = 0;
        for (int i = 0; i < 4; ++i, ++m_p) {
            if (m_p == m_end)
                return fail("incomplete JSON");
            const char c = *m_p;
            int d = (c >= '0' && c <= '9') ? c - '0'
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
            if (d < 0)
                return fail("expected hex digit");
            u = u * 16 + static_cast<std::uint32_t>(d);
        }
        return true;
    }

    /* After "\u": one code point, or a surrogate pair "\uD8xx\uDCxx". */
    bool parse_unicode_escape() {
        std::uint32_t hi = 0, lo = 0;
        if (!parse_hex4(hi))
            return false;
        if (hi < 0xD800 || hi > 0xDFFF) {
            append_utf8(m_buf, hi);
            return true;
        }
        if (hi > 0xDBFF) /* a low surrogate first: Boost.JSON's words */
            return fail("illegal trailing surrogate");
        for (char c : {'\\', 'u'}) {
            if (m_p == m_end)
                return fail("incomplete JSON");
            if (*m_p++ != c)
                return fail("syntax error");
        }
        if (!parse_hex4(lo))
            return false;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail("illegal trailing surrogate");
        append_utf8(m_buf, 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
        return true;
    }

    bool enter() { return ++m_depth <= k_max_depth || fail("too deep"); }

    /* After a value inside [] or {}: true with *closed set at the closing
     * bracket, true at a comma, false otherwise. */
    bool next_item(char close, bool *closed) {
        skip_ws();
        if (m_p == m_end)
            return fail("incomplete JSON");
        if (*m_p == ',' || *m_p == close) {
            *closed = (*m_p++ == close);
            return true;
        }
        return fail("syntax error");
    }

    bool parse_array(value<Alloc> &out) {
        if (!enter())
            return false;
        auto &arr = out.emplace_array();
        ++m_p;
        skip_ws();
        if (m_p != m_end && *m_p == ']') {
            ++m_p;
            --m_depth;
            return true;
        }
        for (bool closed = false; !closed;) {
            skip_ws();
            if (!parse_value(access::array_append(arr)) || !next_item(']', &closed))
                return false;
        }
        --m_depth;
        return true;
    }

    bool parse_object(value<Alloc> &out) {
        if (!enter())
            return false;
        auto &obj = out.emplace_object();
        ++m_p;
        skip_ws();
        if (m_p != m_end && *m_p == '}') {
            ++m_p;
            --m_depth;
            return true;
        }
        member_index index;
        for (bool closed = false; !closed;) {
            skip_ws();
            if (m_p == m_end)
                return fail("incomplete JSON");
            if (*m_p != '"')
                return fail("syntax error");
            if (!parse_string())
                return false;
            skip_ws();
            if (m_p == m_end)
                return fail("incomplete JSON");
            if (*m_p++ != ':')
                return fail("syntax error");
            skip_ws();
            if (!parse_member(obj, index) || !next_item('}', &closed))
                return false;
        }
        --m_depth;
        return true;
    }

    /* key hash -> position, built once an object has k_index_from members */
    using member_index = std::unordered_multimap<std::size_t, std::ptrdiff_t>;

    /* The member whose key is in m_buf: a new one, or a duplicate whose
     * value replaces the earlier member's. */
    bool parse_member(object<Alloc> &obj, member_index &index) {
        const std::string key = m_buf; /* m_buf is reused by the value */
        const std::size_t h = std::hash<std::string_view>()(key);
        auto dup = find_member(obj, index, key, h);
        if (dup != obj.end()) {
            value<Alloc> v(m_alloc);
            if (!parse_value(v))
                return false;
            dup->value() = std::move(v);
            return true;
        }
        if (obj.size() + 1 == k_index_from)
            for (auto it = obj.begin(); it != obj.end(); ++it)
                index.emplace(std::hash<std::string_view>()(it->key()), it - obj.begin());
        if (obj.size() + 1 >= k_index_from)
            index.emplace(h, obj.end() - obj.begin());
        return parse_value(access::object_append(obj, key, value<Alloc>(m_alloc)).value());
    }

    static auto find_member(object<Alloc> &obj, const member_index &index, std::string_view key,
                            std::size_t h) {
        if (obj.size() < k_index_from)
            return obj.find(key);
        auto range = index.equal_range(h);
        for (auto it = range.first; it != range.second; ++it)
            if ((obj.begin() + it->second)->key() == key)
                return obj.begin() + it->second;
        return obj.end();
    }

    const char *m_p;
    const char *m_end;
    Alloc m_alloc;
    int m_depth = 0;
    std::string m_buf;
    const char *m_error = nullptr;
};

} // namespace jsndtl
/// @endcond

/**
 * @brief Parses JSON text into a value allocated with @p allocator.
 *
 * See the file description for what is accepted. On an error the reason is
 * written to std::cerr ("Failed to parse: ...") and a null value is
 * returned.
 *
 * @param input_json_string the JSON text (all of it is read; it need not be
 *        NUL-terminated)
 * @param allocator the allocator of the returned value
 * @return the value, or a null value after an error
 */
template <typename allocator_type>
value<allocator_type> parse(std::string_view input_json_string, const allocator_type &allocator) {
    value<allocator_type> out(allocator);
    jsndtl::parser<allocator_type> p(input_json_string, allocator);
    if (const char *why = p.run(out)) {
        std::cerr << "Failed to parse: " << why << std::endl;
        return value<allocator_type>(allocator);
    }
    return out;
}

} // namespace metall::json

#endif // METALL_JSON_PARSE_HPP
