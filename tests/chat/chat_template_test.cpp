#include "engine/chat/chat_template.h"
#include "gguf/error.h"
#include "test_util.h"

TEST(ChatTemplate, Smoke) {
    EXPECT_EQ(glint::render_chat_template("{{ bos_token }}hi", {}, false, "<s>", "</s>"), "<s>hi");
}
