"""Chapter — profond with pandas and scikit-learn: DataFrames in, estimators, cross-validation."""

import pandas as pd
from sklearn.datasets import load_iris
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import profond as tf
from profond.wrappers import KerasClassifier

# %% frame
iris = load_iris(as_frame=True)
frame = iris.frame.drop(columns="target")
frame["species"] = iris.target_names[iris.target]  # labels as text, as in a CSV file
print(frame.sample(5, random_state=0).to_string())
train, test = train_test_split(frame, test_size=0.3, random_state=0, stratify=frame["species"])
features = iris.feature_names

# %% history
tf.keras.utils.set_random_seed(0)
lookup = {name: i for i, name in enumerate(iris.target_names)}
model = tf.keras.Sequential([
    tf.keras.Input((4,)),
    tf.keras.layers.Normalization(),
    tf.keras.layers.Dense(16, activation="relu"),
    tf.keras.layers.Dense(3, activation="softmax"),
])
model.layers[0].adapt(train[features].to_numpy("float32"))
model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
history = model.fit(train[features].to_numpy("float32"), train["species"].map(lookup).to_numpy(),
                    epochs=40, batch_size=16, validation_split=0.2, verbose=0)
print(pd.DataFrame(history.history).iloc[[0, 9, 19, 39]].round(4).to_string())

# %% estimator
classifier = make_pipeline(
    StandardScaler(),
    KerasClassifier(optimizer="adam", optimizer__learning_rate=0.01, hidden_layer_sizes=(16,),
                    epochs=40, batch_size=16, random_state=0),
)
classifier.fit(train[features], train["species"])
print("predicted:", classifier.predict(test[features].head(5)))
print("true:     ", test["species"].head(5).to_numpy())
print(f"test accuracy: {classifier.score(test[features], test['species']):.4f}")

# %% cross_validation
scores = cross_val_score(classifier, frame[features], frame["species"], cv=5)
print("5-fold cross-validation accuracies:", scores.round(4), f" mean {scores.mean():.4f}")
